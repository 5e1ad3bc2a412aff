import type { CommandDefinition } from './command.js';
import { stringArg } from './command.js';
import { findCommand } from './dispatch.js';
import { userError } from './errors.js';
import { reply } from './reply.js';

export const helpCommand: CommandDefinition = {
  name: 'help',
  description: 'List the commands, or explain one',
  usage: 'help [command]',
  options: [{ name: 'command', description: 'the command to explain', type: 'string', maxLength: 40 }],
  run(args, { commands }) {
    const name = stringArg(args, 'command');
    if (name !== undefined) {
      const command = findCommand(commands, name);
      if (!command) return userError('unknownCommand', { name });
      const options = command.options.map(
        (o) => `${o.type === 'boolean' ? `--${o.name}` : o.name}${o.required ? '' : ' (optional)'}: ${o.description}`,
      );
      return reply(command.name, [command.description, `Usage: ${command.usage}`, ...options].join('\n'), {
        data: { name: command.name, usage: command.usage, options: command.options },
      });
    }
    const lines = commands.map((c) => `${c.usage.padEnd(28)} ${c.description}`);
    return reply('Spiralwatch commands', lines.join('\n'), {
      more: 'help <command> explains one',
      data: { commands: commands.map((c) => ({ name: c.name, usage: c.usage, description: c.description })) },
    });
  },
};

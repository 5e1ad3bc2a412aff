// Runs one command from the command line and prints its reply.
// Exit codes: 0 answered, 1 the user's mistake (unknown term, bad argument), 2 the program could not run.
import type { CommandContext } from '../commands/command.js';
import { commands } from '../commands/index.js';
import { dispatch, type CommandInput } from '../commands/dispatch.js';
import type { Reply } from '../commands/reply.js';
import { renderText } from '../chat/text.js';
import { loadGlossary } from '../glossary/load.js';
import { createLogger } from '../log/logger.js';

function replyJson(answer: Reply): string {
  if (answer.error) return JSON.stringify({ error: answer.error.id, title: answer.title, message: answer.body });
  return JSON.stringify(answer.data);
}

export async function runCli(argv: readonly string[], write: (text: string) => void): Promise<number> {
  const json = argv.includes('--json');
  const words = argv.filter((word) => word !== '--json');
  const [name = 'help', ...rest] = words;
  const log = createLogger({ level: 'warn', format: process.stderr.isTTY ? 'pretty' : 'json' });
  const glossary = loadGlossary();
  const context: CommandContext = {
    services: { glossary },
    now: Date.now(),
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands,
  };
  const input: CommandInput = { name, kind: 'words', words: rest };
  const answer = await dispatch(input, context, (error, command) => log.error('command failed', { command, error }));
  write(json ? replyJson(answer) : renderText(answer));
  return answer.error ? 1 : 0;
}

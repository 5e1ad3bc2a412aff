// The one place that runs a command: finds it, checks the caller, validates arguments, and turns a handler's
// exception into a reply. Every platform calls this, so errors read the same everywhere.
import { parseWords, splitWords, validateArguments } from './arguments.js';
import type { CommandContext, CommandDefinition, OptionValue } from './command.js';
import { userError } from './errors.js';
import type { Reply } from './reply.js';
import { cutText } from './text.js';

export type CommandInput =
  | { name: string; kind: 'words'; words: readonly string[] }
  | { name: string; kind: 'options'; options: Readonly<Record<string, OptionValue | undefined>> };

/** Reports handler exceptions; the user sees a neutral message instead. */
export type FailureReporter = (error: unknown, command: string) => void;

export function findCommand(commands: readonly CommandDefinition[], name: string): CommandDefinition | undefined {
  const wanted = name.replace(/^\//, '').toLowerCase();
  return commands.find((c) => c.name === wanted);
}

export async function dispatch(
  input: CommandInput,
  context: CommandContext,
  reportFailure: FailureReporter,
): Promise<Reply> {
  const command = findCommand(context.commands, input.name);
  // Cut by graphemes: a half emoji is a lone surrogate, which Telegram refuses (and the reply would be lost).
  if (!command) return userError('unknownCommand', { name: cutText(input.name, 40, '…') });
  if (command.requires?.includes('manageSubscriptions') && !context.caller.canManageSubscriptions) {
    return userError('notPermitted', {
      why: `"${command.name}" changes this chat's alerts, so it needs the Manage Channels permission (Discord) or a chat administrator (Telegram).`,
    });
  }
  const parsed = input.kind === 'words' ? parseWords(command, input.words) : validateArguments(command, input.options);
  if (!parsed.ok) return parsed.reply;
  try {
    return await command.run(parsed.args, context);
  } catch (error) {
    reportFailure(error, command.name);
    return userError('internal');
  }
}

/** Parses a typed line such as `/term liquidation cascade` or `term "ADL (Auto-Deleveraging)"`. */
export function inputFromLine(line: string): CommandInput | undefined {
  const words = splitWords(line.trim());
  const [first, ...rest] = words;
  if (first === undefined) return undefined;
  // Telegram appends the bot's name in groups: /term@SpiralwatchBot
  return { name: first.replace(/^\//, '').replace(/@\w+$/, ''), kind: 'words', words: rest };
}

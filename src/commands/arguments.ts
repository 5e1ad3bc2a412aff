// Turns what a user typed into validated arguments. Text platforms (CLI, console, Telegram) give words;
// Discord gives named options. Both end in `validateArguments`, so every platform applies the same rules.
import type { CommandDefinition, OptionValue, ParsedArgs } from './command.js';
import { userError } from './errors.js';
import type { Reply } from './reply.js';

/** The longest text a user may pass to any command, before per-option limits. */
export const MAX_INPUT_CHARS = 1_000;

export type ArgumentsResult = { ok: true; args: ParsedArgs } | { ok: false; reply: Reply };

/** Splits a command line into words, keeping "quoted phrases" together. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

/** Maps words to options: `--flag` sets a boolean, other words fill the options in order, `rest` takes the remainder. */
export function parseWords(command: CommandDefinition, words: readonly string[]): ArgumentsResult {
  const raw: Record<string, OptionValue | undefined> = {};
  const positional: string[] = [];
  for (const word of words) {
    const flag = /^--([a-z][a-z-]*)$/.exec(word);
    const option = flag ? command.options.find((o) => o.name === flag[1] && o.type === 'boolean') : undefined;
    if (option) raw[option.name] = true;
    else positional.push(word);
  }
  const slots = command.options.filter((o) => o.type !== 'boolean');
  for (const [index, slot] of slots.entries()) {
    if (index >= positional.length) break;
    const isLast = index === slots.length - 1;
    raw[slot.name] = slot.rest && isLast ? positional.slice(index).join(' ') : positional[index];
  }
  if (positional.length > slots.length && !slots.at(-1)?.rest) {
    return { ok: false, reply: userError('tooManyArguments', { command: command.name, usage: command.usage }) };
  }
  return validateArguments(command, raw);
}

/** Applies each option's rules (required, type, length, range, choices) and returns typed arguments. */
export function validateArguments(
  command: CommandDefinition,
  raw: Readonly<Record<string, OptionValue | undefined>>,
): ArgumentsResult {
  const args: Record<string, OptionValue | undefined> = {};
  for (const option of command.options) {
    const given = raw[option.name];
    const value = typeof given === 'string' ? given.trim() : given;
    if (value === undefined || value === '') {
      if (option.required) {
        return {
          ok: false,
          reply: userError('missingArgument', {
            command: command.name,
            option: option.name,
            description: option.description,
          }),
        };
      }
      continue;
    }
    const text = String(value);
    const maxLength = Math.min(option.maxLength ?? MAX_INPUT_CHARS, MAX_INPUT_CHARS);
    if (text.length > maxLength) {
      return {
        ok: false,
        reply: userError('argumentTooLong', { option: option.name, max: maxLength, length: text.length }),
      };
    }
    if (option.type === 'number') {
      const number = typeof value === 'number' ? value : Number(text.replace(/%$/, ''));
      if (!Number.isFinite(number))
        return { ok: false, reply: userError('invalidNumber', { option: option.name, value: text }) };
      const min = option.min ?? -Infinity;
      const max = option.max ?? Infinity;
      if (number < min || number > max) {
        return { ok: false, reply: userError('outOfRange', { option: option.name, min, max, value: number }) };
      }
      args[option.name] = number;
    } else if (option.type === 'boolean') {
      args[option.name] = value === true || text === 'true';
    } else {
      if (option.choices && !option.choices.includes(text)) {
        return {
          ok: false,
          reply: userError('invalidChoice', { option: option.name, choices: option.choices.join(', ') }),
        };
      }
      args[option.name] = text;
    }
  }
  return { ok: true, args };
}

// Telegram's command menu (the list shown after typing "/"), generated from the command definitions (one source
// of truth, as for Discord's slash commands) and registered only when it changed: getMyCommands first, then
// setMyCommands when what Telegram has differs from what we want.
import type { CommandDefinition } from '../commands/command.js';
import { cutText } from '../commands/text.js';

/** Telegram's BotCommand. */
export interface TelegramBotCommand {
  command: string;
  description: string;
}

/** What Telegram accepts as a command name: 1-32 of a-z, 0-9 and _. */
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;
const MAX_DESCRIPTION = 256;

/** The menu, in the order of the definitions; names Telegram would refuse are left out (and listed). */
export function telegramCommandMenu(commands: readonly CommandDefinition[]): {
  menu: TelegramBotCommand[];
  skipped: string[];
} {
  const menu: TelegramBotCommand[] = [];
  const skipped: string[] = [];
  for (const command of commands) {
    if (!COMMAND_NAME.test(command.name) || command.description.trim() === '') skipped.push(command.name);
    else menu.push({ command: command.name, description: cutText(command.description.trim(), MAX_DESCRIPTION, '…') });
  }
  return { menu, skipped };
}

function readMenu(value: unknown): TelegramBotCommand[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    return typeof entry.command === 'string' && typeof entry.description === 'string'
      ? [{ command: entry.command, description: entry.description }]
      : [];
  });
}

/** What differs between the wanted menu and Telegram's, one line per difference; empty when equal. */
export function menuDifferences(
  wanted: readonly TelegramBotCommand[],
  existing: readonly TelegramBotCommand[],
): string[] {
  const out: string[] = [];
  for (const [index, command] of wanted.entries()) {
    const current = existing.find((e) => e.command === command.command);
    if (!current) out.push(`${command.command}: added`);
    else if (current.description !== command.description)
      out.push(
        `${command.command}: description ${JSON.stringify(current.description)} → ${JSON.stringify(command.description)}`,
      );
    else if (existing[index]?.command !== command.command) out.push(`${command.command}: moved to ${index + 1}`);
  }
  for (const current of existing) {
    if (!wanted.some((w) => w.command === current.command)) out.push(`${current.command}: removed`);
  }
  return out;
}

export interface MenuRegistration {
  changed: boolean;
  differences: readonly string[];
  /** Definitions whose names Telegram does not accept. */
  skipped: readonly string[];
}

/** Reads the bot's menu (default scope) and sets it only when it differs from the definitions. */
export async function registerTelegramCommands(
  call: (method: 'getMyCommands' | 'setMyCommands', payload: Record<string, unknown>) => Promise<unknown>,
  commands: readonly CommandDefinition[],
): Promise<MenuRegistration> {
  const { menu, skipped } = telegramCommandMenu(commands);
  const differences = menuDifferences(menu, readMenu(await call('getMyCommands', {})));
  if (differences.length === 0) return { changed: false, differences, skipped };
  await call('setMyCommands', { commands: menu });
  return { changed: true, differences, skipped };
}

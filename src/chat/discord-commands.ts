// Slash-command JSON generated from the command definitions (one source of truth), and registration as its
// own step: GET what Discord has, compare field by field after normalising the defaults Discord adds, and PUT
// only when something differs.
import type { CommandDefinition, OptionSpec } from '../commands/command.js';
import { cutText } from '../commands/text.js';

/** Discord's option types. */
const OPTION_TYPE = { string: 3, integer: 4, boolean: 5, number: 10 } as const;
/** The Manage Channels permission bit. */
export const MANAGE_CHANNELS = 1n << 4n;

export interface DiscordOptionJson {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name: string; value: string }[];
  min_value?: number;
  max_value?: number;
  max_length?: number;
}

export interface DiscordCommandJson {
  type: 1;
  name: string;
  description: string;
  options: DiscordOptionJson[];
  default_member_permissions: string | null;
}

function cut(text: string, max: number): string {
  return cutText(text, max, '…');
}

function optionJson(option: OptionSpec): DiscordOptionJson {
  const json: DiscordOptionJson = {
    type: OPTION_TYPE[option.type],
    name: option.name,
    description: cut(option.description, 100),
  };
  if (option.required) json.required = true;
  if (option.type === 'string') {
    if (option.choices && option.choices.length <= 25)
      json.choices = option.choices.map((c) => ({ name: c, value: c }));
    else {
      if (option.autocomplete) json.autocomplete = true;
      json.max_length = Math.min(option.maxLength ?? 1000, 1000);
    }
  }
  if (option.type === 'number') {
    if (option.min !== undefined) json.min_value = option.min;
    if (option.max !== undefined) json.max_value = option.max;
  }
  return json;
}

/** The command as Discord's bulk-overwrite endpoint takes it. Required options come first, as Discord demands. */
export function discordCommandJson(command: CommandDefinition): DiscordCommandJson {
  const options = [...command.options].sort((a, b) => Number(b.required ?? false) - Number(a.required ?? false));
  return {
    type: 1,
    name: command.name,
    description: cut(command.description, 100),
    options: options.map(optionJson),
    default_member_permissions: command.requires?.includes('manageSubscriptions') ? MANAGE_CHANNELS.toString() : null,
  };
}

export function discordCommandsJson(commands: readonly CommandDefinition[]): DiscordCommandJson[] {
  return commands.map(discordCommandJson);
}

// ---- comparison -----------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function normaliseOption(option: Json): Json {
  return {
    type: option.type,
    name: option.name,
    description: option.description,
    required: option.required ?? false,
    autocomplete: option.autocomplete ?? false,
    choices: ((option.choices as Json[] | undefined) ?? []).map((c) => ({ name: c.name, value: c.value })),
    min_value: option.min_value ?? null,
    max_value: option.max_value ?? null,
    min_length: option.min_length ?? null,
    max_length: option.max_length ?? null,
    options: ((option.options as Json[] | undefined) ?? []).map(normaliseOption),
  };
}

/** The fields we own, with Discord's defaults filled in, so `{}` and `{required:false}` compare equal. */
function normaliseCommand(command: Json): Json {
  return {
    type: command.type ?? 1,
    name: command.name,
    description: command.description,
    default_member_permissions: command.default_member_permissions ?? null,
    nsfw: command.nsfw ?? false,
    options: ((command.options as Json[] | undefined) ?? []).map(normaliseOption),
  };
}

function compare(path: string, wanted: unknown, existing: unknown, out: string[]): void {
  if (Array.isArray(wanted) && Array.isArray(existing)) {
    if (wanted.length !== existing.length) out.push(`${path}: ${existing.length} → ${wanted.length} items`);
    for (let i = 0; i < Math.min(wanted.length, existing.length); i++)
      compare(`${path}[${i}]`, wanted[i], existing[i], out);
    return;
  }
  if (typeof wanted === 'object' && wanted !== null && typeof existing === 'object' && existing !== null) {
    for (const key of Object.keys(wanted))
      compare(`${path}.${key}`, (wanted as Json)[key], (existing as Json)[key], out);
    return;
  }
  if (wanted !== existing) out.push(`${path}: ${JSON.stringify(existing)} → ${JSON.stringify(wanted)}`);
}

/** What differs between the wanted commands and what Discord has, one line per difference; empty when equal. */
export function commandDifferences(wanted: readonly DiscordCommandJson[], existing: readonly Json[]): string[] {
  const out: string[] = [];
  for (const command of wanted) {
    const current = existing.find((e) => e.name === command.name);
    if (!current) {
      out.push(`${command.name}: added`);
      continue;
    }
    compare(command.name, normaliseCommand(command as unknown as Json), normaliseCommand(current), out);
  }
  for (const current of existing) {
    if (!wanted.some((w) => w.name === current.name)) out.push(`${String(current.name)}: removed`);
  }
  return out;
}

/** The part of discord.js's REST client registration uses. */
export interface CommandsRest {
  get(route: `/${string}`): Promise<unknown>;
  put(route: `/${string}`, options: { body: unknown }): Promise<unknown>;
}

export interface RegistrationResult {
  scope: 'global' | `guild ${string}`;
  /** False when Discord already had exactly these commands (nothing was sent). */
  changed: boolean;
  differences: readonly string[];
}

/**
 * Registers the slash commands for the application (globally, or in one guild, which updates at once): reads
 * the current ones, and overwrites them in bulk only when they differ. Run it from the CLI, not on every start.
 */
export async function registerDiscordCommands(options: {
  rest: CommandsRest;
  applicationId: string;
  guildId?: string;
  commands: readonly CommandDefinition[];
}): Promise<RegistrationResult> {
  const route: `/${string}` = options.guildId
    ? `/applications/${options.applicationId}/guilds/${options.guildId}/commands`
    : `/applications/${options.applicationId}/commands`;
  const wanted = discordCommandsJson(options.commands);
  const existing = (await options.rest.get(route)) as Json[];
  const differences = commandDifferences(wanted, existing);
  const scope = options.guildId ? (`guild ${options.guildId}` as const) : ('global' as const);
  if (differences.length === 0) return { scope, changed: false, differences };
  await options.rest.put(route, { body: wanted });
  return { scope, changed: true, differences };
}

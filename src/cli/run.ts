// Runs one command from the command line and prints its reply.
// Exit codes: 0 answered, 1 the user's mistake (unknown term, bad argument) or nothing to show, 2 the program
// could not run (bad configuration, a broken glossary file).
import { existsSync } from 'node:fs';
import { REST } from 'discord.js';
import { openApp } from '../app.js';
import { renderText } from '../chat/text.js';
import { runChartCommand } from './chart.js';
import { answerTerm } from './term.js';
import { runBacktestCommand, runReplayCommand } from './replay.js';
import { registerDiscordCommands } from '../chat/discord-commands.js';
import type { CommandContext, Services } from '../commands/command.js';
import { dispatch } from '../commands/dispatch.js';
import { commands } from '../commands/index.js';
import type { Reply } from '../commands/reply.js';
import { envSchema, loadConfig, SECRET_KEYS, type Config } from '../config/env.js';
import { loadGlossary } from '../glossary/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { VenueCycleReport } from '../market/service.js';

/** Commands that read the market data the bot stored (DATA_DIR). */
const READS_STORE = new Set(['market', 'status', 'risk', 'cascade']);

type Write = (text: string) => void;

function replyJson(answer: Reply): string {
  if (answer.error) return JSON.stringify({ error: answer.error.id, title: answer.title, message: answer.body });
  return JSON.stringify(answer.data);
}

function readConfig(): Config {
  return loadConfig(process.env);
}

function pollTable(reports: readonly VenueCycleReport[]): string {
  const header = ['venue', 'markets updated', 'requests', 'errors', 'duration', 'result'];
  const rows = reports.map((r) => [
    r.exchange,
    String(r.marketsUpdated),
    String(r.requests),
    String(r.errors),
    `${(r.durationMs / 1000).toFixed(2)} s`,
    r.ok ? 'ok' : `failed: ${r.error ?? 'unknown'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `poll --once [--json]`: one full cycle of every venue, written to the store. */
async function poll(words: readonly string[], json: boolean, log: Logger, write: Write): Promise<number> {
  if (!words.includes('--once')) {
    write('poll runs one cycle and exits: use "poll --once". The bot itself polls on its schedule (npm start).');
    return 1;
  }
  const config = readConfig();
  const app = await openApp(config, log, { market: true });
  try {
    const market = app.market;
    if (!market) return 2;
    const reports = await market.pollOnce({ include: ['slow', 'depth'] });
    app.savedHealth.save(market.venueHealth(), Date.now());
    write(json ? JSON.stringify({ venues: reports }) : pollTable(reports));
    return reports.some((r) => r.ok) ? 0 : 1;
  } finally {
    await app.close();
  }
}

/** `discord:register [--guild ID]`: creates or updates the slash commands, only when they changed. */
async function registerDiscord(words: readonly string[], write: Write): Promise<number> {
  const config = readConfig();
  if (config.DISCORD_TOKEN === undefined || config.DISCORD_APPLICATION_ID === undefined) {
    write('discord:register needs DISCORD_TOKEN and DISCORD_APPLICATION_ID (see .env.example).');
    return 2;
  }
  const guildAt = words.indexOf('--guild');
  const guildId = guildAt >= 0 ? words[guildAt + 1] : config.DISCORD_GUILD_ID;
  const rest = new REST(config.DISCORD_API_BASE ? { api: config.DISCORD_API_BASE } : {}).setToken(config.DISCORD_TOKEN);
  const result = await registerDiscordCommands({
    rest,
    applicationId: config.DISCORD_APPLICATION_ID,
    ...(guildId ? { guildId } : {}),
    commands,
  });
  write(
    result.changed
      ? `Registered ${commands.length} commands (${result.scope}). Changes:\n${result.differences.map((d) => `- ${d}`).join('\n')}`
      : `The ${result.scope} commands are up to date: nothing sent.`,
  );
  return 0;
}

/** `chart <symbol> [--cascade shock%] [--theme dark|light] --out file.png`: draws from the stored data. */
async function chart(words: readonly string[], log: Logger, write: Write): Promise<number> {
  const app = await openApp(readConfig(), log, { market: false });
  try {
    return await runChartCommand(words, app.services(), Date.now(), write);
  } finally {
    await app.close();
  }
}

/** `term <query>`: the glossary, with the live line read from the bot's store (read-only) when it has one. */
async function term(words: readonly string[], json: boolean, log: Logger, write: Write): Promise<number> {
  const answer = await answerTerm(words, { env: process.env, glossary: loadGlossary(), now: Date.now(), log });
  write(json ? replyJson(answer) : renderText(answer));
  return answer.error ? 1 : 0;
}

async function runCommand(
  name: string,
  words: readonly string[],
  json: boolean,
  log: Logger,
  write: Write,
): Promise<number> {
  const app = READS_STORE.has(name) ? await openApp(readConfig(), log, { market: false }) : undefined;
  try {
    const services: Services = app ? app.services() : { glossary: loadGlossary() };
    const context: CommandContext = {
      services,
      now: Date.now(),
      caller: { platform: 'cli', canManageSubscriptions: true },
      commands,
    };
    const answer = await dispatch({ name, kind: 'words', words }, context, (error, command) =>
      log.error('command failed', { command, error }),
    );
    write(json ? replyJson(answer) : renderText(answer));
    return answer.error ? 1 : 0;
  } finally {
    await app?.close();
  }
}

export async function runCli(argv: readonly string[], write: Write): Promise<number> {
  const json = argv.includes('--json');
  const [name = 'help', ...words] = argv.filter((word) => word !== '--json');
  if (existsSync('.env')) process.loadEnvFile('.env');
  // Warnings and errors only (stdout is the reply); the configured tokens are masked as in the bot's own logs.
  const log = createLogger({
    level: 'warn',
    format: process.stderr.isTTY ? 'pretty' : 'json',
    secrets: SECRET_KEYS.map((key) => process.env[key]),
    // A bad INSTANCE_ID is reported by the commands that read the configuration; until then the default stands.
    instance: envSchema.shape.INSTANCE_ID.safeParse(process.env['INSTANCE_ID']).data,
    // A one-off command holds none of the bot's roles.
    role: () => 'cli',
  });
  if (name === 'poll') return poll(words, json, log, write);
  if (name === 'discord:register') return registerDiscord(words, write);
  if (name === 'chart') return chart(words, log, write);
  if (name === 'term') return term(words, json, log, write);
  // Replays read their own --json from the raw arguments.
  const raw = argv.slice(argv.indexOf(name) + 1);
  if (name === 'replay') return runReplayCommand(raw, write);
  if (name === 'backtest') return runBacktestCommand(raw, write);
  return runCommand(name, words, json, log, write);
}

// One zod schema for every environment variable Spiralwatch reads. `loadConfig` reports every problem at once
// and never echoes a secret's value.
import cron from 'node-cron';
import { z } from 'zod';
import { EXCHANGE_IDS, exchangeIdSchema } from '../domain/market.js';
import { defaultInstanceId } from '../log/instance.js';

/** Variables whose values must never be printed. DATABASE_URL is printed with its password masked. */
export const SECRET_KEYS = ['DISCORD_TOKEN', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'] as const;

const DATABASE_URL_RULE =
  'must be a postgres:// or postgresql:// URL with a host and a database, e.g. postgres://bot:secret@db:5432/spiralwatch';

/** Why a DATABASE_URL is refused (never quoting it: it holds a password), or null when it will do. */
function databaseUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return DATABASE_URL_RULE;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return DATABASE_URL_RULE;
  if (url.hostname === '' || url.pathname.replace(/^\//, '') === '') return DATABASE_URL_RULE;
  return null;
}

/** DATABASE_URL as it may be shown: the password replaced by `***`. */
export function maskedDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

/** The password in DATABASE_URL (decoded), for the logger to mask wherever a library quotes it. */
export function databasePassword(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const password = decodeURIComponent(new URL(value).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/** Every configured secret value: the tokens and the database password. */
export function secretValues(config: Pick<Config, SecretKey | 'DATABASE_URL'>): (string | undefined)[] {
  return [...SECRET_KEYS.map((key) => config[key]), databasePassword(config.DATABASE_URL)];
}
type SecretKey = (typeof SECRET_KEYS)[number];

const emptyAsUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(emptyAsUndefined, z.string().trim().min(1).optional());
const optionalUrl = z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional());

const csvList = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part.length > 0)
        : value,
    z.array(item),
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Shard ids and counts at or above this are refused, so that a typo cannot make a list of millions. */
export const MAX_DISCORD_SHARD_COUNT = 100_000;

/**
 * DISCORD_SHARDS: `auto`, or shard ids as a comma list of ids and ranges (`0,1`, `2-3`, `0-3,8`), returned sorted
 * and without repeats; otherwise the problem in words.
 */
export function parseShardList(text: string): { ok: true; shards: 'auto' | number[] } | { ok: false; problem: string } {
  const value = text.trim().toLowerCase();
  if (value === 'auto') return { ok: true, shards: 'auto' };
  const ids = new Set<number>();
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) return { ok: false, problem: 'must be auto or shard ids like 0,1 or 2-3' };
  for (const part of parts) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) return { ok: false, problem: `must be auto or shard ids like 0,1 or 2-3; "${part}" is neither` };
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return { ok: false, problem: `the range "${part}" runs backwards; write it as ${last}-${first}` };
    if (last >= MAX_DISCORD_SHARD_COUNT) {
      return { ok: false, problem: `shard ${last} is above the largest supported id, ${MAX_DISCORD_SHARD_COUNT - 1}` };
    }
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return { ok: true, shards: [...ids].sort((a, b) => a - b) };
}

const shardCountMessage = `must be a whole number from 1 to ${MAX_DISCORD_SHARD_COUNT}: the shards of all instances together`;

const cronExpression = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((value) => cron.validate(value), {
      message: 'must be a cron expression of 5 or 6 fields, e.g. "*/30 * * * * *"',
    });

const originOverrides = z.preprocess(
  (value) => {
    if (typeof value !== 'string' || value.trim() === '') return {};
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // the record schema below then reports it
    }
  },
  z.partialRecord(exchangeIdSchema, z.url({ protocol: /^https?$/ }), {
    error: 'must be a JSON object of ccxt id to http origin, e.g. {"okx":"http://127.0.0.1:8900/okx"}',
  }),
);

export const envSchema = z.object({
  // Market data
  EXCHANGES: csvList(exchangeIdSchema).default([...EXCHANGE_IDS]),
  SYMBOLS: csvList(z.string().min(1).max(40)).default([]),
  MIN_OPEN_INTEREST_USD: z.coerce.number().nonnegative().default(1_000_000),
  DEPTH_TOP_N: positiveInt(20),
  FAST_POLL_CRON: cronExpression('*/30 * * * * *'),
  DEPTH_POLL_CRON: cronExpression('15 * * * * *'),
  SLOW_POLL_CRON: cronExpression('0 */15 * * * *'),
  RISK_CRON: cronExpression('10,40 * * * * *'),
  OPEN_INTEREST_REQUESTS_PER_CYCLE: positiveInt(40),
  REQUEST_TIMEOUT_MS: positiveInt(10_000),
  /**
   * The longest a venue's fast cycle may take, in milliseconds (its depth and slow jobs: 4 times that); a run that
   * overruns is reported as failed and whatever it receives later is dropped. Unset: derived from
   * REQUEST_TIMEOUT_MS (see cycleTimeoutMsOf).
   */
  CYCLE_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().max(3_600_000).optional()),
  EXCHANGE_ORIGIN_OVERRIDES: originOverrides,
  // Storage
  DATA_DIR: z.string().trim().min(1).default('./data'),
  /**
   * postgres://user:password@host:port/database: several instances share this database (leader election, the
   * outbox, market data). Unset: one instance on SQLite in DATA_DIR.
   */
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .superRefine((value, ctx) => {
        const problem = databaseUrlProblem(value);
        // The issue carries the rule only: the value holds a password.
        if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: '' });
      })
      .optional(),
  ),
  RETENTION_DAYS: positiveInt(7),
  // Chat
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d{15,25}$/, 'must be a numeric id')
      .optional(),
  ),
  DISCORD_GUILD_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d{15,25}$/, 'must be a numeric id')
      .optional(),
  ),
  DISCORD_API_BASE: optionalUrl,
  /**
   * The gateway shards this instance runs: `auto` (Discord's recommended count, all of them in this process), or
   * ids like `0,1` or `2-3` out of DISCORD_SHARD_COUNT.
   */
  DISCORD_SHARDS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('auto')
      .transform((value, ctx) => {
        const parsed = parseShardList(value);
        if (parsed.ok) return parsed.shards;
        ctx.issues.push({ code: 'custom', message: parsed.problem, input: value });
        return z.NEVER;
      }),
  ),
  /** The total number of shards over all instances; required when DISCORD_SHARDS lists ids. */
  DISCORD_SHARD_COUNT: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: shardCountMessage })
      .int(shardCountMessage)
      .min(1, shardCountMessage)
      .max(MAX_DISCORD_SHARD_COUNT, shardCountMessage)
      .optional(),
  ),
  TELEGRAM_BOT_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d+:[\w-]{20,}$/, 'must look like 123456:ABC... as BotFather gives it')
      .optional(),
  ),
  TELEGRAM_API_ROOT: optionalUrl,
  TELEGRAM_WEBHOOK_URL: optionalUrl,
  /** Port the webhook listens on (behind the proxy that terminates TELEGRAM_WEBHOOK_URL); not HTTP_PORT. */
  TELEGRAM_WEBHOOK_PORT: z.coerce.number().int().min(1).max(65_535).default(8443),
  /**
   * How long (s) getUpdates may answer 409 Conflict (another instance polls with the same token) before the bot
   * stops with exit code 1 for its supervisor to restart it. A deploy overlap ends within seconds.
   */
  TELEGRAM_CONFLICT_MAX_S: z.coerce.number().int().min(0).max(3600).default(60),
  TELEGRAM_WEBHOOK_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'may hold only A-Z, a-z, 0-9, _ and -, at most 256 characters')
      .optional(),
  ),
  // Operations
  HTTP_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65_535).optional()),
  HTTP_HOST: z.preprocess(emptyAsUndefined, z.string().trim().min(1).default('0.0.0.0')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** Names this process on every log line, so that the logs of several instances can be told apart. */
  INSTANCE_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'may hold only A-Z, a-z, 0-9, ., _ and -, start with a letter or digit, at most 64 characters',
      )
      .default(defaultInstanceId),
  ),
});

/** Settings that only make sense together; checked on the raw values so they are reported beside the rest. */
function missingCompanions(env: Readonly<Record<string, string | undefined>>): string[] {
  const isSet = (key: string): boolean => (env[key] ?? '').trim() !== '';
  const problems: string[] = [];
  if (isSet('DISCORD_TOKEN') && !isSet('DISCORD_APPLICATION_ID')) {
    problems.push('DISCORD_APPLICATION_ID is required when DISCORD_TOKEN is set');
  }
  if (isSet('TELEGRAM_WEBHOOK_URL') && !isSet('TELEGRAM_BOT_TOKEN')) {
    problems.push('TELEGRAM_BOT_TOKEN is required when TELEGRAM_WEBHOOK_URL is set');
  }
  if (isSet('TELEGRAM_WEBHOOK_URL') && !isSet('TELEGRAM_WEBHOOK_SECRET')) {
    problems.push(
      'TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set, so that only Telegram can post updates',
    );
  }
  return problems;
}

/** DISCORD_SHARDS against DISCORD_SHARD_COUNT, on the raw values; each alone is checked by the schema. */
function shardProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const listed = parseShardList((env.DISCORD_SHARDS ?? '').trim() || 'auto');
  if (!listed.ok || listed.shards === 'auto') return [];
  const countText = (env.DISCORD_SHARD_COUNT ?? '').trim();
  if (countText === '') {
    return [
      'DISCORD_SHARD_COUNT is required when DISCORD_SHARDS lists shard ids: the number of shards of all instances together',
    ];
  }
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1) return []; // the schema reports it
  const outside = listed.shards.filter((id) => id >= count);
  if (outside.length === 0) return [];
  // A few ids are enough to see the mistake; a wide range would otherwise fill the message.
  const named = outside.length <= 5 ? outside.join(', ') : `${outside.slice(0, 5).join(', ')}, …`;
  return [
    `DISCORD_SHARDS: ${outside.length === 1 ? 'shard' : 'shards'} ${named} ${outside.length === 1 ? 'is' : 'are'} not below DISCORD_SHARD_COUNT (${count}); the ids run from 0 to ${count - 1}`,
  ];
}

export type Config = z.infer<typeof envSchema>;

/**
 * Two request timeouts let one request time out and succeed on its retry; the 5 s more cover ccxt's throttler
 * (Hyperliquid sends one request a second) and the cycle's other requests. 25 s with the default 10 s timeout, under
 * the default 30 s fast tick.
 */
export const CYCLE_TIMEOUT_REQUEST_TIMEOUTS = 2;
export const CYCLE_TIMEOUT_EXTRA_MS = 5_000;

/** CYCLE_TIMEOUT_MS, or 2 x REQUEST_TIMEOUT_MS + 5 s when it is not set. */
export function cycleTimeoutMsOf(config: Pick<Config, 'CYCLE_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS'>): number {
  return config.CYCLE_TIMEOUT_MS ?? config.REQUEST_TIMEOUT_MS * CYCLE_TIMEOUT_REQUEST_TIMEOUTS + CYCLE_TIMEOUT_EXTRA_MS;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `Spiralwatch cannot start: the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Keeps only the variables the schema knows, so unrelated environment never reaches a message. */
function pickKnown(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const known: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) known[key] = env[key];
  return known;
}

/** Parses the environment; throws one ConfigError that lists every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const known = pickKnown(env);
  const result = envSchema.safeParse(known);
  const companions = [...missingCompanions(known), ...shardProblems(known)];
  if (result.success && companions.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    const [name, ...rest] = issue.path.map(String);
    const key = rest.length === 0 ? (name ?? '(environment)') : `${name} (item ${Number(rest[0]) + 1})`;
    // zod messages may quote the received value; for secrets only the rule is shown.
    const message = (SECRET_KEYS as readonly string[]).includes(String(issue.path[0]))
      ? secretMessage(issue)
      : issue.message;
    return `${key}: ${message}`;
  });
  throw new ConfigError([...problems, ...companions]);
}

function secretMessage(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_format' ? 'is not in the expected format' : issue.message;
}

/** One line per setting for the start-up log: secrets show as `set` or `not set`, never their value. */
export function describeConfig(config: Config): string[] {
  return Object.entries(config).map(([key, value]) => {
    if ((SECRET_KEYS as readonly string[]).includes(key)) return `${key}=${value === undefined ? 'not set' : 'set'}`;
    if (value === undefined) return `${key}=not set`;
    if (key === 'DATABASE_URL' && typeof value === 'string') return `${key}=${maskedDatabaseUrl(value)}`;
    return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
}

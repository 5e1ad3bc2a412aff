// A small structured logger. Lines go to stderr so stdout stays for replies and JSON output.
// Fields named like secrets are masked, so a token passed by mistake never reaches a log.

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ exchange: 'okx' }`). */
  child(fields: LogFields): Logger;
}

const LEVEL_RANK: Record<LogLevel, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };
const SECRET_FIELD = /token|secret|password|apikey|api_key|authorization/i;

function maskSecrets(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_FIELD.test(key) ? '[masked]' : value instanceof Error ? value.message : value;
  }
  return out;
}

export interface LoggerOptions {
  level: LogLevel;
  /** `json` writes one object per line; `pretty` a readable line. */
  format: 'json' | 'pretty';
  write?: (line: string) => void;
  now?: () => number;
  /**
   * Values that must never be printed (the configured tokens): replaced with [masked] wherever they appear, in the
   * message, in field values and in error messages. Values shorter than 8 characters are ignored (too likely to
   * match ordinary text).
   */
  secrets?: readonly (string | undefined)[];
}

const MIN_SECRET_LENGTH = 8;

/** Replaces every listed value in `line`; longest first, so a secret containing another is masked whole. */
function scrubber(secrets: readonly (string | undefined)[] | undefined): (line: string) => string {
  const values = [
    ...new Set((secrets ?? []).filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH)),
  ].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (line) => line;
  // A value may also appear JSON-escaped inside a JSON line.
  const forms = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  return (line) => {
    let out = line;
    for (const form of forms) out = out.split(form).join('[masked]');
    return out;
  };
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? Date.now;
  const scrub = scrubber(options.secrets);
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LEVEL_RANK[level] < LEVEL_RANK[options.level]) return;
    const all = maskSecrets({ ...bound, ...fields });
    if (options.format === 'json') {
      write(scrub(JSON.stringify({ time: now(), level, msg: message, ...all })));
      return;
    }
    const extras = Object.entries(all)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    write(
      scrub(
        `${new Date(now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extras ? ' ' + extras : ''}`,
      ),
    );
  };
  return {
    error: (message, fields) => emit('error', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    info: (message, fields) => emit('info', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

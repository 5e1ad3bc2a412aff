// The structured logger, on pino. Lines go to stderr so stdout stays for replies and JSON output. Every line names
// the instance and the role it holds, so that the logs of several instances read side by side stay apart.
// Secrets are kept out twice over: fields named like secrets are masked, and the configured secret values are
// scrubbed from the finished line wherever they appear (a library's error message may quote a request URL).
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { defaultInstanceId, SINGLE_ROLE } from './instance.js';

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

export interface LoggerOptions {
  level: LogLevel;
  /** `json` writes one object per line; `pretty` a readable line (pino-pretty). */
  format: 'json' | 'pretty';
  /** Receives each finished line, without its newline. Default: stderr. */
  write?: (line: string) => void;
  /** Epoch ms of each line's `time`. */
  now?: () => number;
  /**
   * Values that must never be printed (the configured tokens): replaced with [masked] wherever they appear, in the
   * message, in field values and in error messages. Values shorter than 8 characters are ignored (too likely to
   * match ordinary text).
   */
  secrets?: readonly (string | undefined)[];
  /** Names this process on every line (INSTANCE_ID). Default `${hostname}-${pid}`. */
  instance?: string;
  /** Read at every line, so that a role taken or given up later shows from the next line on. Default 'single'. */
  role?: () => string;
}

const MASK = '[masked]';
const MIN_SECRET_LENGTH = 8;
/** Any top-level field whose name contains one of these words (botToken, webhookSecret) is masked. */
const SECRET_FIELD = /token|secret|password|apikey|api_key|authorization/i;
/** pino redacts these exact names at the top level and one level down (`headers.authorization`). */
const SECRET_NAMES = ['token', 'secret', 'password', 'apiKey', 'api_key', 'authorization', 'Authorization'];
const REDACT_PATHS = SECRET_NAMES.flatMap((name) => [name, `*.${name}`]);
const DEBUG_RANK = pino.levels.values['debug'] ?? 20;

/**
 * Masks secret-named fields and turns errors into their message, which JSON would print as `{}`. With `stacks`, an
 * error's stack follows in `<field>Stack`.
 */
function prepareFields(fields: LogFields, stacks: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key)) {
      out[key] = MASK;
    } else if (value instanceof Error) {
      out[key] = value.message;
      if (stacks && value.stack !== undefined) out[`${key}Stack`] = value.stack;
    } else {
      out[key] = value;
    }
  }
  return out;
}

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
    for (const form of forms) out = out.split(form).join(MASK);
    return out;
  };
}

/**
 * Where pino's lines go: scrubbed of the secret values, then (pretty) formatted by pino-pretty in this thread and
 * written to stderr, which Node writes synchronously to files, terminals and (on Linux) pipes. No transport worker:
 * a line is out before the call returns, so nothing waits to be flushed when the process exits, even through
 * process.exit, and the secrets never leave this thread.
 */
function destination(options: LoggerOptions): DestinationStream {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const scrub = scrubber(options.secrets);
  const pretty =
    options.format === 'pretty'
      ? prettyFactory({
          colorize: options.write === undefined && process.stderr.isTTY === true,
          singleLine: true,
          translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
          ignore: 'instance,role',
          // Errors are already their message; pino-pretty would print an `error` field on a line of its own.
          errorLikeObjectKeys: [],
          messageFormat: (line, messageKey) =>
            `[${String(line['instance'])} ${String(line['role'])}] ${String(line[messageKey])}`,
        })
      : undefined;
  return {
    write(chunk: string) {
      const json = scrub(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk);
      write(pretty ? pretty(json).replace(/\r?\n$/, '') : json);
    },
  };
}

function wrap(log: PinoLogger, prepare: (fields: LogFields) => Record<string, unknown>): Logger {
  // The message goes first in the object (not as pino's message argument, which it prints last), so that a line
  // reads `"msg":"stopped","exitCode":0` as before; it also keeps pino from reading `%s` in a message as a format.
  return {
    error: (message, fields) => log.error({ msg: message, ...fields }),
    warn: (message, fields) => log.warn({ msg: message, ...fields }),
    info: (message, fields) => log.info({ msg: message, ...fields }),
    debug: (message, fields) => log.debug({ msg: message, ...fields }),
    // pino's bindings formatter sees only the root's bindings: a child's are prepared here.
    child: (fields) => wrap(log.child(prepare(fields)), prepare),
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const role = options.role ?? (() => SINGLE_ROLE);
  const stacks = (pino.levels.values[options.level] ?? 0) <= DEBUG_RANK;
  const prepare = (fields: LogFields) => prepareFields(fields, stacks);
  return wrap(
    pino(
      {
        level: options.level,
        base: { instance: options.instance ?? defaultInstanceId() },
        mixin: () => ({ role: role() }),
        timestamp: () => `,"time":${now()}`,
        redact: { paths: REDACT_PATHS, censor: MASK },
        formatters: {
          // The label, as the lines always had it (`"level":"warn"`), not pino's number.
          level: (label) => ({ level: label }),
          log: prepare,
        },
      },
      destination(options),
    ),
    prepare,
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

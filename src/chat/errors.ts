// Errors of the chat layer: few, with a stable identifier and the context (platform, chat), never a token.
// `classifyFailure` sorts what a platform library threw into the kinds the delivery layer acts on.

export type ChatPlatform = 'discord' | 'telegram';

export type DeliveryErrorId =
  /** The bot may no longer write there (blocked, kicked, channel deleted, access lost); the subscription pauses. */
  | 'chatGone'
  /** The platform refused the message itself (bad request); retrying would not help. */
  | 'rejected'
  /** Retrying would deliver it later than the message's deadline. */
  | 'tooLate'
  /** A migration pointed to a chat that migrated again, or some other loop. */
  | 'migrationLoop';

export type GoneReason = 'blocked' | 'kicked' | 'forbidden' | 'chatNotFound' | 'unknownChannel' | 'missingAccess';

export class ChatDeliveryError extends Error {
  override readonly name = 'ChatDeliveryError';
  constructor(
    readonly id: DeliveryErrorId,
    readonly platform: ChatPlatform,
    readonly chatId: string,
    detail: string,
    readonly extra: { status?: number; code?: number; reason?: GoneReason; attempts?: number } = {},
  ) {
    super(`${platform} chat ${chatId}: ${id}: ${redactSecrets(detail)}`);
  }
}

/** Removes bot tokens from text: Telegram's `/bot<id>:<secret>/` path and Discord's `Bot <token>` header. */
export function redactSecrets(text: string): string {
  return text
    .replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot[REDACTED]')
    .replace(/\b(Bot|Bearer)\s+[A-Za-z0-9._-]{20,}/g, '$1 [REDACTED]')
    .replace(/\/webhooks\/(\d+)\/[A-Za-z0-9._-]{20,}/g, '/webhooks/$1/[REDACTED]')
    .replace(/\/interactions\/(\d+)\/[A-Za-z0-9._-]{20,}/g, '/interactions/$1/[REDACTED]');
}

export type Failure =
  | { kind: 'rateLimited'; retryAfterMs: number }
  | { kind: 'transient'; status?: number }
  | { kind: 'gone'; reason: GoneReason; status?: number; code?: number }
  | { kind: 'migrated'; toChatId: string }
  | { kind: 'rejected'; status?: number; code?: number };

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function isNetworkError(error: unknown): boolean {
  const e = record(error);
  if (!e) return false;
  if (e.name === 'FetchError' || e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const cause = record(e.cause);
  if (cause && typeof cause.code === 'string' && NETWORK_CODES.has(cause.code)) return true;
  return e.name === 'TypeError' && e.message === 'fetch failed';
}

/** Telegram: telegraf's TelegramError carries the API's `{error_code, description, parameters}`. */
export function classifyTelegram(error: unknown): Failure {
  const response = record(record(error)?.response);
  if (response && typeof response.error_code === 'number') {
    const status = response.error_code;
    const description = typeof response.description === 'string' ? response.description : '';
    const parameters = record(response.parameters);
    if (status === 429) {
      const seconds = typeof parameters?.retry_after === 'number' ? parameters.retry_after : 1;
      return { kind: 'rateLimited', retryAfterMs: seconds * 1000 };
    }
    if (status >= 500) return { kind: 'transient', status };
    const migrateTo = parameters?.migrate_to_chat_id;
    if (status === 400 && (typeof migrateTo === 'number' || typeof migrateTo === 'string')) {
      return { kind: 'migrated', toChatId: String(migrateTo) };
    }
    if (status === 403) {
      const reason: GoneReason = /blocked/i.test(description)
        ? 'blocked'
        : /kicked|not a member|deactivated/i.test(description)
          ? 'kicked'
          : 'forbidden';
      return { kind: 'gone', reason, status };
    }
    if (status === 400 && /chat not found/i.test(description)) return { kind: 'gone', reason: 'chatNotFound', status };
    return { kind: 'rejected', status };
  }
  if (isNetworkError(error)) return { kind: 'transient' };
  return { kind: 'rejected' };
}

/** Discord error codes that mean the bot can no longer post to the channel. */
export const DISCORD_UNKNOWN_CHANNEL = 10003;
export const DISCORD_MISSING_ACCESS = 50001;

/** Discord: discord.js throws DiscordAPIError (`status`, `code`), HTTPError (`status`) or RateLimitError (`retryAfter`). */
export function classifyDiscord(error: unknown): Failure {
  const e = record(error);
  if (!e) return { kind: 'rejected' };
  if (e.name === 'RateLimitError' || typeof e.retryAfter === 'number') {
    return { kind: 'rateLimited', retryAfterMs: typeof e.retryAfter === 'number' ? e.retryAfter : 1000 };
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (code === DISCORD_UNKNOWN_CHANNEL) return { kind: 'gone', reason: 'unknownChannel', status, code };
  if (code === DISCORD_MISSING_ACCESS) return { kind: 'gone', reason: 'missingAccess', status, code };
  if (status !== undefined && status >= 500) return { kind: 'transient', status };
  if (status === 429) return { kind: 'rateLimited', retryAfterMs: 1000 };
  if (status !== undefined) return { kind: 'rejected', status, code };
  if (isNetworkError(error)) return { kind: 'transient' };
  return { kind: 'rejected', code };
}

export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

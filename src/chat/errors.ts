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
  | 'migrationLoop'
  /**
   * The request may have reached the platform (no answer in time, a 5xx or a connection reset after sending)
   * and a resend could duplicate it: under the at-most-once policy it is not resent (see delivery.ts).
   */
  | 'maybeSent'
  /** The caller withdrew the message before it went on the wire (shutdown, or the row is no longer pending). */
  | 'cancelled';

export type GoneReason =
  'blocked' | 'kicked' | 'forbidden' | 'chatNotFound' | 'unknownChannel' | 'missingAccess' | 'missingPermissions';

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
  /** `scope: 'platform'` stops every request of the bot on that platform (Discord's global limit). */
  | { kind: 'rateLimited'; retryAfterMs: number; scope: 'chat' | 'platform' }
  /**
   * Worth retrying later. `mayHaveArrived` says whether the request may have reached the platform: false only
   * when it certainly did not (connection refused, DNS failure, connect timeout); true for a 5xx, a reset or a
   * timeout after sending, where a resend may duplicate the message.
   */
  | { kind: 'transient'; status?: number; mayHaveArrived: boolean }
  | { kind: 'gone'; reason: GoneReason; status?: number; code?: number }
  | { kind: 'migrated'; toChatId: string }
  | { kind: 'rejected'; status?: number; code?: number };

/** Failures before a connection existed: the request certainly did not reach the platform. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Failures on an open connection: the request may have been received. */
const CONNECTED_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** A network failure, sorted by whether the request may have reached the platform; undefined if not one. */
function networkFailure(error: unknown): Failure | undefined {
  const e = record(error);
  if (!e) return undefined;
  const cause = record(e.cause);
  const code = typeof e.code === 'string' ? e.code : typeof cause?.code === 'string' ? cause.code : undefined;
  if (code !== undefined && NOT_CONNECTED_CODES.has(code)) return { kind: 'transient', mayHaveArrived: false };
  if (
    (code !== undefined && CONNECTED_CODES.has(code)) ||
    e.name === 'FetchError' ||
    e.name === 'AbortError' ||
    e.name === 'TimeoutError' ||
    (e.name === 'TypeError' && e.message === 'fetch failed')
  ) {
    // Unknown network failures count as "may have arrived": the safe side of the at-most-once policy.
    return { kind: 'transient', mayHaveArrived: true };
  }
  return undefined;
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
      return { kind: 'rateLimited', retryAfterMs: seconds * 1000, scope: 'chat' };
    }
    // A 5xx may come after the message was accepted (seen: accepted, then 502).
    if (status >= 500) return { kind: 'transient', status, mayHaveArrived: true };
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
    if (status === 400 && /not enough rights|have no rights|CHAT_WRITE_FORBIDDEN/i.test(description)) {
      return { kind: 'gone', reason: 'forbidden', status };
    }
    return { kind: 'rejected', status };
  }
  return networkFailure(error) ?? { kind: 'rejected' };
}

/** Discord error codes that mean the bot can no longer post to the channel. */
export const DISCORD_UNKNOWN_CHANNEL = 10003;
export const DISCORD_MISSING_ACCESS = 50001;
export const DISCORD_MISSING_PERMISSIONS = 50013;

/** Discord: discord.js throws DiscordAPIError (`status`, `code`), HTTPError (`status`) or RateLimitError (`retryAfter`). */
export function classifyDiscord(error: unknown): Failure {
  const e = record(error);
  if (!e) return { kind: 'rejected' };
  // With `rejectOnRateLimit`, discord.js throws RateLimitError instead of waiting (before sending, when it knows the
  // bucket is empty, or after a 429): the seam decides, with the message's deadline.
  if (e.name === 'RateLimitError' || typeof e.retryAfter === 'number') {
    return {
      kind: 'rateLimited',
      retryAfterMs: typeof e.retryAfter === 'number' ? e.retryAfter : 1000,
      scope: e.global === true ? 'platform' : 'chat',
    };
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (code === DISCORD_UNKNOWN_CHANNEL) return { kind: 'gone', reason: 'unknownChannel', status, code };
  if (code === DISCORD_MISSING_ACCESS) return { kind: 'gone', reason: 'missingAccess', status, code };
  // The bot may not post embeds here: the same request will fail until someone changes the channel's permissions.
  if (code === DISCORD_MISSING_PERMISSIONS) return { kind: 'gone', reason: 'missingPermissions', status, code };
  if (status !== undefined && status >= 500) return { kind: 'transient', status, mayHaveArrived: true };
  if (status === 429) return { kind: 'rateLimited', retryAfterMs: 1000, scope: 'chat' };
  if (status !== undefined) return { kind: 'rejected', status, code };
  return networkFailure(error) ?? { kind: 'rejected', code };
}

export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

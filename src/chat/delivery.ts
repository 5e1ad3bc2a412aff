// The one seam every outgoing chat call goes through: command replies and alerts, Discord and Telegram.
// It owns rate limiting (token buckets, each platform's ceiling over any sliding second, flood waits per chat and
// per platform), the request timeout, retry by kind of failure under one at-most-once policy (see Delivery),
// permanent-failure handling (pause a chat the bot was blocked from, follow a group's migration) and logging. Platform libraries are only called inside it.
import { silentLogger, type Logger } from '../log/logger.js';
import { systemClock, type Clock } from './clock.js';
import {
  ChatDeliveryError,
  classifyDiscord,
  classifyTelegram,
  describeError,
  type ChatPlatform,
  type DeliveryErrorId,
  type Failure,
  type GoneReason,
} from './errors.js';
import {
  CeilingWindow,
  KeyedBuckets,
  TokenBucket,
  type BucketSpec,
  type WindowPermit,
  type WindowSpec,
} from './limiter.js';

export interface RetryOptions {
  /** First back-off after a 5xx or network error, in ms; doubled after each further failure. Default 1000. */
  baseBackoffMs: number;
  /** The longest single back-off, in ms. Default 60 000. */
  maxBackoffMs: number;
  /**
   * A message not delivered this long (ms) after it was first handed in is given up as too late (`tooLate`).
   * Default 300 000 (5 minutes): an alert older than that would mislead. Command replies pass a shorter one.
   */
  maxDelayMs: number;
  /**
   * Each request's own timeout, in real ms (it bounds a real socket, whatever the injected clock): far below
   * telegraf's 500 s and under discord.js's 15 s, so the seam, not the library, decides. A request unanswered by
   * then may have been received and follows the at-most-once policy. Default 12 000.
   */
  requestTimeoutMs: number;
}

export interface RateLimits {
  /**
   * Telegram: the pace of all requests of the bot. Default 28/s, burst 3: spreads sends over the second (the
   * burst recovers what timer lateness costs). A bucket bounds only grants, so the ceiling is telegramCeiling.
   */
  telegramGlobal: BucketSpec;
  /**
   * Telegram's ceiling ("about 30 messages per second"): default at most 28 in any sliding second as Telegram
   * receives them (two of margin), whatever the delays between the seam and the wire (CeilingWindow).
   */
  telegramCeiling: WindowSpec;
  /** Telegram: one group or channel (negative chat id). Default 18/min, burst 2: at most 20 in any minute. */
  telegramGroup: BucketSpec;
  /** Telegram: one private chat. Default 1/s, burst 3. */
  telegramPrivate: BucketSpec;
  /** Discord: the pace of all requests of the bot (route buckets are left to discord.js). Default 48/s, burst 4. */
  discordGlobal: BucketSpec;
  /** Discord's global ceiling of 50 requests a second: default at most 48 in any sliding second as received. */
  discordCeiling: WindowSpec;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  telegramGlobal: { ratePerSecond: 28, capacity: 3 },
  // transitMs 2 s: a request unanswered 2 s after its grant is taken to have arrived by then (a hung one then
  // holds its slot 3 s, not until its timeout); far above what leaving takes, even on a new connection.
  telegramCeiling: { limit: 28, windowMs: 1000, transitMs: 2000 },
  telegramGroup: { ratePerSecond: 18 / 60, capacity: 2 },
  telegramPrivate: { ratePerSecond: 1, capacity: 3 },
  discordGlobal: { ratePerSecond: 48, capacity: 4 },
  discordCeiling: { limit: 48, windowMs: 1000, transitMs: 2000 },
};

export const DEFAULT_RETRY: RetryOptions = {
  baseBackoffMs: 1000,
  maxBackoffMs: 60_000,
  maxDelayMs: 300_000,
  requestTimeoutMs: 12_000,
};

/** What happens to a chat on a permanent failure; implemented by the subscription store. */
export interface ChatEvents {
  /** The bot can no longer write there: pause (blocked, missing access) or remove (unknown channel). */
  chatGone(platform: ChatPlatform, chatId: string, reason: GoneReason): void;
  /** A Telegram group became a supergroup with a new id. */
  chatMigrated(platform: ChatPlatform, fromChatId: string, toChatId: string): void;
}

/**
 * What the caller (the outbox worker) is told about each request of a send, and how it withdraws one. The
 * worker records a row as `attempting` in `onWire` only, so a row is in flight exactly while a request is.
 */
export interface WireHooks {
  /** Called after every wait, right before each request goes on the wire; a throw withdraws the message. */
  onWire?: () => void;
  /** A request certainly did not reach the platform (429, connection refused): it is no longer in flight. */
  onNotSent?: () => void;
  /** A request may have reached the platform and will be resent, because the platform drops a repeat. */
  onMaybeSent?: (firstAt: number) => void;
  /** Aborting abandons the waits (the send rejects with `cancelled`); a request already on the wire finishes. */
  signal?: AbortSignal;
}

export interface DeliveryRequest {
  platform: ChatPlatform;
  /** The chat or channel written to. */
  chatId: string;
  /** `reply` answers a user (no per-chat bucket on Discord, where the interaction token is the route). */
  kind: 'reply' | 'alert' | 'api';
  /** What is being called, for logs: `sendMessage`, `interaction.reply`. */
  method: string;
  /** Epoch ms after which the message is given up; default handed-in time + maxDelayMs. */
  notAfter?: number;
  /**
   * How long (ms) after a request that may have reached the platform a resend is still certain not to
   * duplicate it. Default 0 for `alert` and `reply` (never resent: at most once) and Infinity for `api`
   * (idempotent calls: getMe, setWebhook, getChatMember); Discord alerts pass their nonce's window.
   */
  duplicateSafeMs?: number;
  /** Epoch ms of an earlier request for this message that may have reached the platform (requeued after a crash). */
  maybeSentAt?: number;
  wire?: WireHooks;
}

export interface DeliveryStats {
  calls: number;
  delivered: number;
  rateLimited: number;
  retried: number;
  failed: number;
}

export interface DeliveryOptions {
  clock?: Clock;
  limits?: Partial<RateLimits>;
  retry?: Partial<RetryOptions>;
  events?: ChatEvents;
  log?: Logger;
  /** Observer of every retry (metrics): platform, kind of request, kind of failure. A throw is ignored. */
  onRetry?: (platform: ChatPlatform, kind: DeliveryRequest['kind'], failure: string) => void;
}

/** A function, not a property read, so TypeScript does not keep a narrowing across an await. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

type CallOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

/**
 * The policy for a request that may have been sent (see README, "Delivery"): AT MOST ONCE. A request that may
 * have reached the platform (no answer within requestTimeoutMs, a 5xx, a connection reset after sending, a
 * crash while `attempting`) is never sent again unless the platform itself drops the repeat: Telegram has no
 * idempotency key, so such a message ends `maybeSent` (row `unknown`); a Discord alert carries a nonce with
 * enforce_nonce and is resent only within the nonce's window (DISCORD_NONCE_WINDOW_MS). Failures where the
 * request certainly did not arrive (429, connection refused, DNS, connect timeout, a 4xx answer) are retried.
 */
export class Delivery {
  readonly clock: Clock;
  readonly retry: RetryOptions;
  readonly stats: DeliveryStats = { calls: 0, delivered: 0, rateLimited: 0, retried: 0, failed: 0 };
  private readonly log: Logger;
  private readonly events: ChatEvents | undefined;
  private readonly onRetry: DeliveryOptions['onRetry'];
  private readonly telegramGlobal: TokenBucket;
  private readonly telegramGroups: KeyedBuckets;
  private readonly telegramPrivate: KeyedBuckets;
  private readonly discordGlobal: TokenBucket;
  private readonly ceilings: Record<ChatPlatform, CeilingWindow>;
  /** Flood waits per chat (`platform:chatId` → epoch ms): nothing goes to that chat before then. */
  private readonly chatHeldUntil = new Map<string, number>();
  /** Platform-wide waits (Discord's global 429): nothing goes to that platform before then. */
  private readonly platformHeldUntil: Record<ChatPlatform, number> = { discord: 0, telegram: 0 };

  constructor(options: DeliveryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.log = (options.log ?? silentLogger).child({ component: 'delivery' });
    this.events = options.events;
    this.onRetry = options.onRetry;
    this.telegramGlobal = new TokenBucket(limits.telegramGlobal, this.clock);
    this.telegramGroups = new KeyedBuckets(limits.telegramGroup, this.clock);
    this.telegramPrivate = new KeyedBuckets(limits.telegramPrivate, this.clock);
    this.discordGlobal = new TokenBucket(limits.discordGlobal, this.clock);
    this.ceilings = {
      telegram: new CeilingWindow(limits.telegramCeiling, this.clock),
      discord: new CeilingWindow(limits.discordCeiling, this.clock),
    };
  }

  /**
   * Runs `call(chatId, signal)` within the platform's limits, retrying by kind of failure: after exactly
   * `retry_after` on a 429 (holding back the chat, or the platform for a global limit), with exponential
   * back-off when the request certainly did not arrive, a resend to the new id after a group migration. Every
   * request is bounded by requestTimeoutMs (`signal` aborts it). Throws ChatDeliveryError when the message
   * cannot or should no longer be delivered.
   */
  async send<T>(request: DeliveryRequest, call: (chatId: string, signal: AbortSignal) => Promise<T>): Promise<T> {
    const startedAt = this.clock.now();
    const notAfter = request.notAfter ?? startedAt + this.retry.maxDelayMs;
    const duplicateSafeMs = request.duplicateSafeMs ?? (request.kind === 'api' ? Number.POSITIVE_INFINITY : 0);
    const hooks = request.wire ?? {};
    let chatId = request.chatId;
    let backoff = this.retry.baseBackoffMs;
    let migrations = 0;
    let maybeSentAt = request.maybeSentAt;
    const log = this.log.child({ platform: request.platform, chat: chatId, method: request.method });
    /** The error that ends the send; a deadline passed after a request that may have arrived stays `maybeSent`. */
    const giveUp = (id: DeliveryErrorId, detail: string, extra: ChatDeliveryError['extra'] = {}): ChatDeliveryError => {
      if (id !== 'cancelled') this.stats.failed++;
      const final = id === 'tooLate' && maybeSentAt !== undefined ? 'maybeSent' : id;
      return new ChatDeliveryError(final, request.platform, chatId, detail, extra);
    };
    for (let attempt = 1; ; attempt++) {
      const permit = await this.waitForTurn(request, chatId, notAfter, (id, detail) =>
        giveUp(id, detail, { attempts: attempt - 1 }),
      );
      try {
        if (maybeSentAt !== undefined && this.clock.now() - maybeSentAt > duplicateSafeMs) {
          throw giveUp('maybeSent', 'an earlier request may have arrived and a resend could duplicate it', {
            attempts: attempt - 1,
          });
        }
        hooks.onWire?.();
      } catch (error) {
        permit.release();
        throw error;
      }
      this.stats.calls++;
      const sentAt = this.clock.now();
      let outcome: CallOutcome<T>;
      try {
        outcome = await this.callOnce(call, chatId);
      } finally {
        // The answer (or the timeout) is in: the request counts toward the ceiling for one more second.
        permit.settle();
      }
      if (outcome.ok) {
        this.stats.delivered++;
        if (attempt > 1) log.debug('delivered after retry', { attempt });
        return outcome.value;
      }
      const failure: Failure = outcome.timedOut
        ? { kind: 'transient', mayHaveArrived: true }
        : request.platform === 'telegram'
          ? classifyTelegram(outcome.error)
          : classifyDiscord(outcome.error);
      const detail = outcome.timedOut
        ? `no answer within ${this.retry.requestTimeoutMs} ms`
        : describeError(outcome.error);
      let waitMs = 0;
      switch (failure.kind) {
        case 'rateLimited':
          this.stats.rateLimited++;
          hooks.onNotSent?.();
          // The retry waits in waitForTurn, behind the hold, with every other message to the chat (or platform).
          if (!this.holdBack(request, chatId, failure.scope, failure.retryAfterMs)) waitMs = failure.retryAfterMs;
          break;
        case 'transient':
          if (failure.mayHaveArrived) {
            maybeSentAt ??= sentAt;
            if (this.clock.now() + backoff - maybeSentAt > duplicateSafeMs) {
              log.warn('the request may have been received; not resending it (at most once)', { error: detail });
              throw giveUp('maybeSent', detail, { status: failure.status, attempts: attempt });
            }
            hooks.onMaybeSent?.(maybeSentAt);
          } else hooks.onNotSent?.();
          waitMs = backoff;
          backoff = Math.min(backoff * 2, this.retry.maxBackoffMs);
          break;
        case 'migrated': {
          hooks.onNotSent?.();
          if (++migrations > 2) throw giveUp('migrationLoop', detail);
          log.info('chat migrated; resending to the new id', { to: failure.toChatId });
          this.events?.chatMigrated(request.platform, chatId, failure.toChatId);
          chatId = failure.toChatId;
          continue;
        }
        case 'gone':
          log.warn('chat gone', { reason: failure.reason, error: detail });
          this.events?.chatGone(request.platform, chatId, failure.reason);
          throw giveUp('chatGone', detail, {
            status: failure.status,
            code: failure.code,
            reason: failure.reason,
            attempts: attempt,
          });
        case 'rejected':
          log.warn('message rejected', { error: detail });
          throw giveUp('rejected', detail, { status: failure.status, code: failure.code, attempts: attempt });
      }
      if (this.clock.now() + waitMs > notAfter) {
        log.warn('giving up: a retry would arrive too late', { waitMs, attempt, error: detail });
        throw giveUp('tooLate', detail, { attempts: attempt });
      }
      this.stats.retried++;
      try {
        this.onRetry?.(request.platform, request.kind, failure.kind);
      } catch {
        // an observer never breaks delivery
      }
      log.debug('retrying', { kind: failure.kind, waitMs, attempt });
      if (waitMs > 0) await this.clock.sleep(waitMs, hooks.signal);
    }
  }

  /** One request, bounded by requestTimeoutMs even when the library ignores the abort signal. */
  private async callOnce<T>(
    call: (chatId: string, signal: AbortSignal) => Promise<T>,
    chatId: string,
  ): Promise<CallOutcome<T>> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.retry.requestTimeoutMs);
    });
    const answer = Promise.resolve()
      .then(() => call(chatId, controller.signal))
      .then(
        (value): CallOutcome<T> => ({ ok: true, value }),
        (error: unknown): CallOutcome<T> => ({ ok: false, error, timedOut: false }),
      );
    try {
      const first = await Promise.race([answer, timeout]);
      if (first !== 'timeout') return first;
      controller.abort();
      return { ok: false, error: new Error('request timed out'), timedOut: true };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Records a 429's wait: for the chat (its queue waits, in order, instead of meeting the same 429) or for the
   * whole platform. False when there is nothing to hold (a call with no chat): the caller waits by itself.
   */
  private holdBack(request: DeliveryRequest, chatId: string, scope: 'chat' | 'platform', waitMs: number): boolean {
    const until = this.clock.now() + waitMs;
    if (scope === 'platform') {
      this.platformHeldUntil[request.platform] = Math.max(this.platformHeldUntil[request.platform], until);
      return true;
    }
    if (chatId === '' || request.kind === 'api') return false;
    const key = `${request.platform}:${chatId}`;
    this.chatHeldUntil.set(key, Math.max(this.chatHeldUntil.get(key) ?? 0, until));
    return true;
  }

  /** Epoch ms until which nothing may go to this chat (0 when free). */
  private heldUntil(platform: ChatPlatform, chatId: string): number {
    const key = `${platform}:${chatId}`;
    const chatUntil = this.chatHeldUntil.get(key) ?? 0;
    if (chatUntil !== 0 && chatUntil <= this.clock.now()) this.chatHeldUntil.delete(key);
    return Math.max(chatUntil, this.platformHeldUntil[platform]);
  }

  private chatBucket(chatId: string): TokenBucket {
    return (chatId.startsWith('-') ? this.telegramGroups : this.telegramPrivate).get(chatId);
  }

  /**
   * Waits for the chat's flood wait and bucket, then the platform's pace and last its ceiling, so a slow group
   * does not hold a global token and the ceiling's slot is taken right before the request. A flood wait that ends
   * after the deadline gives the message up at once instead of waiting for it. Returns the ceiling's slot.
   */
  private async waitForTurn(
    request: DeliveryRequest,
    chatId: string,
    notAfter: number,
    giveUp: (id: DeliveryErrorId, detail: string) => ChatDeliveryError,
  ): Promise<WindowPermit> {
    const signal = request.wire?.signal;
    const cancelled = (): ChatDeliveryError => giveUp('cancelled', 'withdrawn before sending');
    for (;;) {
      if (aborted(signal)) throw cancelled();
      const now = this.clock.now();
      const heldUntil = this.heldUntil(request.platform, chatId);
      if (heldUntil > now) {
        if (heldUntil > notAfter) {
          throw giveUp('tooLate', `held back by a rate limit for ${heldUntil - now} ms, past the deadline`);
        }
        await this.clock.sleep(heldUntil - now, signal);
        continue;
      }
      let permit: WindowPermit;
      try {
        if (request.platform === 'telegram' && request.kind !== 'api') await this.chatBucket(chatId).acquire(signal);
        await (request.platform === 'telegram' ? this.telegramGlobal : this.discordGlobal).acquire(signal);
        permit = await this.ceilings[request.platform].acquire(signal);
      } catch (error) {
        if (aborted(signal)) throw cancelled();
        throw error;
      }
      // A 429 for this chat or platform may have come in while this message waited for a token.
      if (this.heldUntil(request.platform, chatId) > this.clock.now()) {
        permit.release();
        continue;
      }
      if (this.clock.now() > notAfter) {
        permit.release();
        throw giveUp('tooLate', 'deadline passed before sending');
      }
      return permit;
    }
  }
}

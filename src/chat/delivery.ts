// The one seam every outgoing chat call goes through: command replies and alerts, Discord and Telegram.
// It owns rate limiting (token buckets), retry by kind of failure, permanent-failure handling (pause a chat the
// bot was blocked from, follow a group's migration) and logging. Platform libraries are only called inside it.
import { silentLogger, type Logger } from '../log/logger.js';
import { systemClock, type Clock } from './clock.js';
import {
  ChatDeliveryError,
  classifyDiscord,
  classifyTelegram,
  describeError,
  type ChatPlatform,
  type Failure,
  type GoneReason,
} from './errors.js';
import { KeyedBuckets, TokenBucket, type BucketSpec } from './limiter.js';

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
}

export interface RateLimits {
  /**
   * Telegram: all messages of the bot. Default 27/s with a burst of 3: a bucket lets through at most
   * capacity + rate x T in any window T, so never more than 30 in any second ("about 30 messages per second"),
   * and the burst recovers what timer lateness costs.
   */
  telegramGlobal: BucketSpec;
  /** Telegram: one group or channel (negative chat id). Default 18/min, burst 2: at most 20 in any minute. */
  telegramGroup: BucketSpec;
  /** Telegram: one private chat. Default 1/s, burst 3. */
  telegramPrivate: BucketSpec;
  /** Discord: all requests of the bot (route buckets are left to discord.js). Default 45/s, burst 5: at most 50 in any second. */
  discordGlobal: BucketSpec;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  telegramGlobal: { ratePerSecond: 27, capacity: 3 },
  telegramGroup: { ratePerSecond: 18 / 60, capacity: 2 },
  telegramPrivate: { ratePerSecond: 1, capacity: 3 },
  discordGlobal: { ratePerSecond: 45, capacity: 5 },
};

export const DEFAULT_RETRY: RetryOptions = { baseBackoffMs: 1000, maxBackoffMs: 60_000, maxDelayMs: 300_000 };

/** What happens to a chat on a permanent failure; implemented by the subscription store. */
export interface ChatEvents {
  /** The bot can no longer write there: pause (blocked, missing access) or remove (unknown channel). */
  chatGone(platform: ChatPlatform, chatId: string, reason: GoneReason): void;
  /** A Telegram group became a supergroup with a new id. */
  chatMigrated(platform: ChatPlatform, fromChatId: string, toChatId: string): void;
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
  }

  /**
   * Runs `call(chatId)` within the platform's limits, retrying by kind of failure: exactly `retry_after` on a
   * 429, exponential back-off on 5xx and network errors, a resend to the new id after a group migration.
   * Throws ChatDeliveryError when the message cannot or should no longer be delivered.
   */
  async send<T>(request: DeliveryRequest, call: (chatId: string) => Promise<T>): Promise<T> {
    const startedAt = this.clock.now();
    const notAfter = request.notAfter ?? startedAt + this.retry.maxDelayMs;
    let chatId = request.chatId;
    let backoff = this.retry.baseBackoffMs;
    let migrations = 0;
    let retryAfterRateLimit = false;
    const log = this.log.child({ platform: request.platform, chat: chatId, method: request.method });
    for (let attempt = 1; ; attempt++) {
      // A retry after a 429 has waited retry_after already: it skips the chat's (now blocked) bucket.
      await this.acquire(request.platform, chatId, retryAfterRateLimit ? 'api' : request.kind);
      retryAfterRateLimit = false;
      if (this.clock.now() > notAfter) {
        this.stats.failed++;
        throw new ChatDeliveryError('tooLate', request.platform, chatId, 'deadline passed before sending', {
          attempts: attempt - 1,
        });
      }
      this.stats.calls++;
      try {
        const result = await call(chatId);
        this.stats.delivered++;
        if (attempt > 1) log.debug('delivered after retry', { attempt });
        return result;
      } catch (error) {
        const failure: Failure = request.platform === 'telegram' ? classifyTelegram(error) : classifyDiscord(error);
        const detail = describeError(error);
        let waitMs: number;
        switch (failure.kind) {
          case 'rateLimited':
            this.stats.rateLimited++;
            waitMs = failure.retryAfterMs;
            // Other messages to the same Telegram chat wait too, instead of meeting the same 429.
            if (request.platform === 'telegram' && chatId !== '') this.chatBucket(chatId).block(waitMs);
            retryAfterRateLimit = true;
            break;
          case 'transient':
            waitMs = backoff;
            backoff = Math.min(backoff * 2, this.retry.maxBackoffMs);
            break;
          case 'migrated': {
            if (++migrations > 2) {
              this.stats.failed++;
              throw new ChatDeliveryError('migrationLoop', request.platform, chatId, detail);
            }
            log.info('chat migrated; resending to the new id', { to: failure.toChatId });
            this.events?.chatMigrated(request.platform, chatId, failure.toChatId);
            chatId = failure.toChatId;
            continue;
          }
          case 'gone':
            this.stats.failed++;
            log.warn('chat gone', { reason: failure.reason, error: detail });
            this.events?.chatGone(request.platform, chatId, failure.reason);
            throw new ChatDeliveryError('chatGone', request.platform, chatId, detail, {
              status: failure.status,
              code: failure.code,
              reason: failure.reason,
              attempts: attempt,
            });
          case 'rejected':
            this.stats.failed++;
            log.warn('message rejected', { error: detail });
            throw new ChatDeliveryError('rejected', request.platform, chatId, detail, {
              status: failure.status,
              code: failure.code,
              attempts: attempt,
            });
        }
        if (this.clock.now() + waitMs > notAfter) {
          this.stats.failed++;
          log.warn('giving up: a retry would arrive too late', { waitMs, attempt, error: detail });
          throw new ChatDeliveryError('tooLate', request.platform, chatId, detail, { attempts: attempt });
        }
        this.stats.retried++;
        try {
          this.onRetry?.(request.platform, request.kind, failure.kind);
        } catch {
          // an observer never breaks delivery
        }
        log.debug('retrying', { kind: failure.kind, waitMs, attempt });
        await this.clock.sleep(waitMs);
      }
    }
  }

  private chatBucket(chatId: string): TokenBucket {
    return (chatId.startsWith('-') ? this.telegramGroups : this.telegramPrivate).get(chatId);
  }

  /** Waits for the chat's bucket first, then the global one, so a slow group does not hold a global token. */
  private async acquire(platform: ChatPlatform, chatId: string, kind: DeliveryRequest['kind']): Promise<void> {
    if (platform === 'discord') {
      await this.discordGlobal.acquire();
      return;
    }
    if (kind !== 'api') await this.chatBucket(chatId).acquire();
    await this.telegramGlobal.acquire();
  }
}

// Drains the outbox: each pending row is marked `attempting` (committed) before the platform call and `sent`
// only after the platform accepted it. Sends run concurrently up to a bound; the Delivery seam spaces them
// within each platform's limits. See src/store/outbox.ts for what happens to rows in flight at a crash.
import type { ChatRef, SubscriptionStore } from '../domain/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { OutboxPlatform, OutboxRow, SqliteOutbox } from '../store/outbox.js';
import type { Clock } from './clock.js';
import type { ChatEvents } from './delivery.js';
import { ChatDeliveryError, describeError } from './errors.js';

export type OutboxSender = (row: OutboxRow, onPartSent: (partsSent: number) => void) => Promise<unknown>;

/** Observers of the worker's outcomes (metrics). Called synchronously; a throw is ignored. */
export interface OutboxEvents {
  /** The platform accepted the row. */
  sent?(row: OutboxRow): void;
  /** The row was given up: `reason` is the ChatDeliveryError id (`tooLate`, `chatGone`, `rejected`...) or `internal`. */
  failed?(row: OutboxRow, reason: string): void;
}

export interface OutboxWorkerOptions {
  outbox: SqliteOutbox;
  senders: Partial<Record<OutboxPlatform, OutboxSender>>;
  clock: Clock;
  /** Sends in flight at once per drain; the rate limiters decide the pace. Default 32. */
  concurrency?: number;
  /** Rows read per query. Default 1000. */
  batchSize?: number;
  log?: Logger;
  events?: OutboxEvents;
}

export interface DrainResult {
  sent: number;
  failed: number;
}

export class OutboxWorker {
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'outbox' });
  }

  /** Sends everything pending (for the platforms that have a sender) and resolves when the outbox is empty. */
  async drain(): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, failed: 0 };
    const platforms = Object.keys(this.options.senders) as OutboxPlatform[];
    await Promise.all(platforms.map((platform) => this.drainPlatform(platform, result)));
    return result;
  }

  private async drainPlatform(platform: OutboxPlatform, result: DrainResult): Promise<void> {
    const sender = this.options.senders[platform];
    if (!sender) return;
    const concurrency = this.options.concurrency ?? 32;
    for (;;) {
      if (this.stopped) return;
      const rows = this.options.outbox.pending(platform, this.options.batchSize ?? 1000);
      if (rows.length === 0) return;
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < rows.length && !this.stopped) {
          const row = rows[next++];
          if (row) await this.sendRow(row, sender, result);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
    }
  }

  private async sendRow(row: OutboxRow, sender: OutboxSender, result: DrainResult): Promise<void> {
    const { outbox, clock } = this.options;
    if (clock.now() > row.notAfter) {
      outbox.markFailed(row.id, clock.now(), 'tooLate');
      result.failed++;
      this.notify('failed', row, 'tooLate');
      return;
    }
    if (!outbox.markAttempting(row.id, clock.now())) return;
    try {
      await sender(row, (parts) => outbox.markPartSent(row.id, parts));
      outbox.markSent(row.id, clock.now());
      result.sent++;
      this.notify('sent', row);
    } catch (error) {
      const id = error instanceof ChatDeliveryError ? error.id : 'internal';
      outbox.markFailed(row.id, clock.now(), id);
      result.failed++;
      this.notify('failed', row, id);
      const log = id === 'internal' ? this.log.error.bind(this.log) : this.log.warn.bind(this.log);
      log('alert not delivered', {
        platform: row.platform,
        chat: row.chatId,
        alert: row.alertId,
        error: describeError(error),
      });
    }
  }

  private notify(event: 'sent' | 'failed', row: OutboxRow, reason = ''): void {
    try {
      if (event === 'sent') this.options.events?.sent?.(row);
      else this.options.events?.failed?.(row, reason);
    } catch {
      // an observer never breaks delivery
    }
  }

  /** Drains every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    const tick = (): void => {
      this.running = this.drain()
        .then(() => undefined)
        .catch((error: unknown) => this.log.error('drain failed', { error: describeError(error) }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/** What the delivery layer's permanent failures do to subscriptions (and to alerts still queued for a chat). */
export function subscriptionChatEvents(store: SubscriptionStore, outbox?: SqliteOutbox): ChatEvents {
  return {
    chatGone(platform, chatId, reason) {
      const chat: ChatRef = { platform, id: chatId };
      // A deleted channel will not come back; a block or a lost permission may be undone, so pause.
      if (reason === 'unknownChannel') store.remove(chat);
      else store.pause(chat, reason);
    },
    chatMigrated(platform, fromChatId, toChatId) {
      store.moveChat({ platform, id: fromChatId }, toChatId);
      outbox?.moveChat(platform, fromChatId, toChatId);
    },
  };
}

// The chat store of an instance among several on one Postgres: subscriptions (cached, written behind), the outbox
// the worker drains through lanes, and the alerts' marks. The risk loop reads the marks synchronously in its pass,
// so they are kept in memory: a mark counts the moment its alert is queued, and the rows and marks are written
// behind on one ordered chain, retried until they land. Only the leader queues alerts; the instance that becomes
// leader reloads the marks first, so it holds back what the previous leader already alerted.
import type pg from 'pg';
import type { AlertMark, ChatStore, OutboxItem, OutboxPlatform } from '../../domain/outbox.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { backoffDelay, sleep } from '../../market/backoff.js';
import { PostgresOutbox } from './outbox.js';
import { postgresOutboxQueue, type PostgresOutboxQueue } from './outbox-queue.js';
import { PostgresSubscriptionStore } from './subscriptions.js';
import { telegramUpdateClaim } from './telegram-updates.js';

export interface PostgresChatStoreOptions {
  pool: pg.Pool;
  instanceId: string;
  log?: Logger;
  /** How long a claimed outbox lane stays this instance's without renewal (default 30 s). */
  laneLeaseMs?: number;
  /** How often the oldest waiting row is looked up for /healthz (default 5 s). */
  pendingCheckEveryMs?: number;
  /** First wait after a failed enqueue, doubled up to 30 s (default 500 ms). */
  retryBaseMs?: number;
  /** How long close() waits for queued writes before reporting them lost (default 10 s). */
  closeWaitMs?: number;
}

const markKey = (mark: AlertMark): string => `${mark.destination}|${mark.market}`;
const MAX_RETRY_MS = 30_000;

export class PostgresChatStore implements ChatStore {
  readonly outbox: PostgresOutbox;
  readonly queue: PostgresOutboxQueue;
  readonly claimTelegramUpdate: (updateId: number) => Promise<boolean>;
  private readonly log: Logger;
  private readonly marks = new Map<string, AlertMark>();
  /** Enqueues not yet committed, oldest first: their marks survive a reload. */
  private readonly unwritten: { items: readonly OutboxItem[]; marks: readonly AlertMark[] }[] = [];
  private writing: Promise<unknown> = Promise.resolve();
  private oldestPending: number | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly stopping = new AbortController();

  private constructor(
    private readonly options: PostgresChatStoreOptions,
    readonly subscriptions: PostgresSubscriptionStore,
  ) {
    this.log = (options.log ?? silentLogger).child({ component: 'chat-store' });
    this.outbox = new PostgresOutbox(options.pool);
    this.queue = postgresOutboxQueue(this.outbox, {
      instanceId: options.instanceId,
      leaseMs: options.laneLeaseMs ?? 30_000,
      onRenewalError: (error) => this.warn('an outbox lane lease was not renewed', error),
    });
    this.claimTelegramUpdate = telegramUpdateClaim(options.pool, options.instanceId);
    this.timer = setInterval(() => void this.checkPending(), options.pendingCheckEveryMs ?? 5_000);
    this.timer.unref();
  }

  /** Opens the subscriptions, loads the marks and looks up the oldest waiting row. */
  static async open(options: PostgresChatStoreOptions): Promise<PostgresChatStore> {
    const subscriptions = await PostgresSubscriptionStore.open({
      pool: options.pool,
      instanceId: options.instanceId,
      ...(options.log ? { log: options.log } : {}),
    });
    const store = new PostgresChatStore(options, subscriptions);
    try {
      await store.reloadMarks();
      await store.checkPending();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  enqueue(items: readonly OutboxItem[], marks: readonly AlertMark[]): Promise<Record<OutboxPlatform, number>> {
    for (const mark of marks) this.marks.set(markKey(mark), mark);
    const entry = { items, marks };
    this.unwritten.push(entry);
    const written = this.writing.then(() => this.write(entry));
    this.writing = written.catch(() => undefined);
    return written;
  }

  lastAlerts(): readonly AlertMark[] {
    return [...this.marks.values()];
  }

  /** Reads every mark the instances wrote, keeping this instance's own that are not written yet. */
  async reloadMarks(): Promise<void> {
    const stored = await this.outbox.lastAlerts();
    this.marks.clear();
    for (const mark of stored) this.marks.set(markKey(mark), mark);
    for (const entry of this.unwritten) for (const mark of entry.marks) this.marks.set(markKey(mark), mark);
  }

  dropChat: ChatStore['dropChat'] = (platform, chatId, at, error) => this.outbox.dropChat(platform, chatId, at, error);

  moveChat: ChatStore['moveChat'] = (platform, fromChatId, toChatId) =>
    this.outbox.moveChat(platform, fromChatId, toChatId);

  oldestPendingAt(): number | null {
    return this.oldestPending;
  }

  /** Alert rows queued here and not yet written to Postgres. */
  unwrittenRows(): number {
    return this.unwritten.reduce((sum, entry) => sum + entry.items.length, 0);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const waitMs = this.options.closeWaitMs ?? 10_000;
    const drained = await Promise.race([
      this.writing.then(() => true),
      sleep(waitMs, this.stopping.signal).then(() => false),
    ]);
    this.stopping.abort();
    if (!drained && this.unwrittenRows() > 0) {
      this.log.error('alerts could not be written to Postgres before stopping: they are lost', {
        rows: this.unwrittenRows(),
      });
    }
    await this.queue.close().catch((error: unknown) => this.warn('outbox lanes not given back', error));
    await this.subscriptions.close();
  }

  /** Writes one enqueue, retrying with backoff until it lands or the store stops. */
  private async write(entry: {
    items: readonly OutboxItem[];
    marks: readonly AlertMark[];
  }): Promise<Record<OutboxPlatform, number>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const added = await this.outbox.enqueueByPlatform(entry.items, entry.marks);
        this.unwritten.splice(this.unwritten.indexOf(entry), 1);
        if (entry.items.length > 0) this.oldestPending ??= Math.min(...entry.items.map((item) => item.createdAt));
        return added;
      } catch (error) {
        if (this.stopping.signal.aborted) throw error;
        const delayMs = backoffDelay(attempt, this.options.retryBaseMs ?? 500, MAX_RETRY_MS);
        this.warn('alerts not written to Postgres yet; retrying', error, { rows: entry.items.length, delayMs });
        await sleep(delayMs, this.stopping.signal);
      }
    }
  }

  private async checkPending(): Promise<void> {
    try {
      this.oldestPending = await this.outbox.oldestPendingAt();
    } catch (error) {
      // Kept as last seen: /healthz reads the database being away from the venues and the outbox going stale.
      this.warn('could not look up the oldest waiting alert', error);
    }
  }

  private warn(message: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.log.warn(message, { ...fields, error: error instanceof Error ? error.message : String(error) });
  }
}

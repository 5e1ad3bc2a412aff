// Drains the outbox in per-destination lanes: each chat's pending rows go out one at a time, in the order they
// were queued, at that chat's pace. Lanes run on their own, so a slow, hung, backlogged or flood-waiting chat
// delays only itself, and a platform-wide limit (inside the Delivery seam) pauses only that platform.
//
// A row is `attempting` (committed) only while a request for it is on the wire: the Delivery seam calls
// `onWire` after every wait (rate limiter, flood wait), right before the request, and `onNotSent` when a request
// certainly did not arrive. So after kill -9 at most one row per destination is uncertain, and a stop, which
// abandons the waits and waits only for the requests in flight, leaves every unsent row pending.
// See src/store/outbox.ts for what start-up does with rows left in flight, and src/chat/delivery.ts for the one
// policy for a request that may have been sent (at most once).
import { setMaxListeners } from 'node:events';
import type { ChatRef, SubscriptionStore } from '../domain/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { OutboxPlatform, OutboxQueue, OutboxRow } from '../domain/outbox.js';
import { SqliteOutbox, sqliteOutboxQueue } from '../store/outbox.js';
import type { Clock } from './clock.js';
import type { ChatEvents, WireHooks } from './delivery.js';
import { ChatDeliveryError, describeError, type GoneReason } from './errors.js';

/** What a sender gets besides the row; a sender built on the Delivery seam passes it into `DeliveryRequest`. */
export interface RowSendContext {
  wire: WireHooks;
  /** When an earlier request for this row may have arrived (a Discord row requeued after a crash). */
  maybeSentAt?: number;
}

/** Sends one row; the worker always passes all three arguments (the others are optional for direct calls). */
export interface OutboxSender {
  (row: OutboxRow, onPartSent?: (partsSent: number) => void, context?: RowSendContext): Promise<unknown>;
  /**
   * True when the sender passes `context.wire` to the Delivery seam, which marks the row just before each
   * request. Otherwise the worker marks the row `attempting` when it calls the sender (a sender without waits).
   */
  readonly reportsWire?: boolean;
}

/** Tags a sender that hands `context.wire` to the Delivery seam. */
export function wireReportingSender(
  send: (row: OutboxRow, onPartSent?: (partsSent: number) => void, context?: RowSendContext) => Promise<unknown>,
): OutboxSender {
  return Object.assign(send, { reportsWire: true as const });
}

/** Observers of the worker's outcomes (metrics). Called synchronously; a throw is ignored. */
export interface OutboxEvents {
  /** The platform accepted the row. */
  sent?(row: OutboxRow): void;
  /**
   * The row was given up: `reason` is the ChatDeliveryError id (`tooLate`, `chatGone`, `rejected`, `maybeSent`:
   * may have arrived, not resent), `dropped` (queued for a chat that is gone) or `internal`.
   */
  failed?(row: OutboxRow, reason: string): void;
}

export interface OutboxWorkerOptions {
  /** The port drained through; a SqliteOutbox is adapted (sqliteOutboxQueue). */
  outbox: OutboxQueue | SqliteOutbox;
  senders: Partial<Record<OutboxPlatform, OutboxSender>>;
  clock: Clock;
  /**
   * Destinations served at once per platform. Default: no bound, every destination with pending rows has its
   * lane (a lane waiting for its chat's rate costs a promise, not a socket). A small bound lets a waiting chat
   * hold a place another chat could use.
   */
  concurrency?: number;
  log?: Logger;
  events?: OutboxEvents;
  /** How long drain() waits before it asks again after the outbox failed (the database away), ms. Default 1000. */
  retryDelayMs?: number;
}

export interface DrainResult {
  sent: number;
  failed: number;
}

export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Aborted by stop(): every wait in the seam ends and no new request starts. */
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  /** Running lanes by `platform:chatId`. */
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly lanesOf: Record<OutboxPlatform, number> = { discord: 0, telegram: 0 };
  /** A platform had destinations left waiting for a free lane. */
  private readonly deferred: Record<OutboxPlatform, boolean> = { discord: false, telegram: false };
  private readonly totals: DrainResult = { sent: 0, failed: 0 };
  private idleWaiters: (() => void)[] = [];
  private readonly queue: OutboxQueue;
  /** Schedule passes run one after the other: each asks the outbox after the previous one started its lanes. */
  private scheduling: Promise<unknown> = Promise.resolve();
  /** A lane ended on a failure of the outbox since drain() last looked. */
  private laneFailed = false;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'outbox' });
    this.queue = options.outbox instanceof SqliteOutbox ? sqliteOutboxQueue(options.outbox) : options.outbox;
    // Every waiting lane listens to this one signal: thousands of listeners are expected, not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  /**
   * Sends everything pending (for the platforms that have a sender) and resolves when nothing is left to send;
   * counts what this call's lanes delivered and gave up.
   */
  async drain(): Promise<DrainResult> {
    const before = { ...this.totals };
    for (;;) {
      this.laneFailed = false;
      const scheduled = await this.schedule();
      if (this.stopped) break;
      if (scheduled && this.lanes.size === 0) break;
      if (this.lanes.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.stopped) break;
      // The outbox failed (the database away): its rows are still there; ask again after a pause, not in a spin.
      if (!scheduled || this.laneFailed) await this.pause(this.options.retryDelayMs ?? 1000);
      if (this.stopped) break;
    }
    return { sent: this.totals.sent - before.sent, failed: this.totals.failed - before.failed };
  }

  /** A wait that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopping.signal;
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  /**
   * Starts a lane for every destination with pending rows that has none yet, after the passes asked for before
   * this one. Resolves false when the outbox failed (logged; the next pass retries); never rejects.
   */
  private schedule(only?: OutboxPlatform): Promise<boolean> {
    const pass = this.scheduling
      .then(() => this.schedulePass(only))
      .catch((error: unknown) => {
        // A pass that broke must not break the ones after it.
        this.log.error('outbox scheduling failed', { error: describeError(error) });
        return false;
      });
    this.scheduling = pass;
    return pass;
  }

  private async schedulePass(only?: OutboxPlatform): Promise<boolean> {
    const bound = this.options.concurrency ?? Number.POSITIVE_INFINITY;
    let ok = true;
    for (const platform of Object.keys(this.options.senders) as OutboxPlatform[]) {
      const sender = this.options.senders[platform];
      if (this.stopped) return ok;
      if (!sender || (only !== undefined && platform !== only)) continue;
      let chatIds: string[];
      try {
        // Destinations this worker serves may be among those listed: they count toward the bound.
        chatIds = await this.queue.destinations(platform, bound);
      } catch (error) {
        ok = false;
        this.log.error('outbox scheduling failed', { platform, error: describeError(error) });
        continue;
      }
      // A full list may have left some out: look again when a lane ends.
      this.deferred[platform] = chatIds.length >= bound;
      // No await from here to startLane: a lane is registered before another pass can look.
      for (const chatId of chatIds) {
        if (this.lanes.has(`${platform}:${chatId}`)) continue;
        if (this.stopped || this.lanesOf[platform] >= bound) {
          this.deferred[platform] = true;
          void this.releaseLater(platform, chatId);
          continue;
        }
        this.startLane(platform, chatId, sender);
      }
    }
    return ok;
  }

  /** Gives a destination back without waiting; a failure is logged (the claim then lapses on its own). */
  private releaseLater(platform: OutboxPlatform, chatId: string): Promise<void> {
    return this.queue
      .release(platform, chatId)
      .catch((error: unknown) =>
        this.log.error('outbox lane release failed', { platform, chat: chatId, error: describeError(error) }),
      );
  }

  private startLane(platform: OutboxPlatform, chatId: string, sender: OutboxSender): void {
    const key = `${platform}:${chatId}`;
    this.lanesOf[platform]++;
    const lane = this.runLane(platform, chatId, sender)
      .catch((error: unknown) => {
        // The row it was on is still in the outbox (pending, or attempting for start-up recovery to decide).
        this.laneFailed = true;
        this.log.error('outbox lane failed', { platform, chat: chatId, error: describeError(error) });
      })
      .then(() => this.releaseLater(platform, chatId))
      .finally(() => {
        this.lanes.delete(key);
        this.lanesOf[platform]--;
        if (this.deferred[platform]) void this.schedule(platform);
        if (this.lanes.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const wake of waiters) wake();
        }
      });
    this.lanes.set(key, lane);
  }

  /** One destination: its oldest pending row, then the next, until none is left (or the worker stops). */
  private async runLane(platform: OutboxPlatform, chatId: string, sender: OutboxSender): Promise<void> {
    let previousId: number | undefined;
    while (!this.stopped) {
      const row = await this.queue.nextPending(platform, chatId);
      if (!row) return;
      if (row.id === previousId) {
        // Every outcome resolves the row; one still pending would spin: leave it to the next tick.
        this.log.error('outbox row left pending after its send; lane paused', { platform, chat: chatId, row: row.id });
        return;
      }
      previousId = row.id;
      await this.sendRow(row, sender);
    }
  }

  private async sendRow(row: OutboxRow, sender: OutboxSender): Promise<void> {
    const { clock } = this.options;
    const queue = this.queue;
    if (clock.now() > row.notAfter) {
      await this.giveUp(row, 'tooLate', 'deadline passed before sending');
      return;
    }
    const signal = this.stopping.signal;
    const cancelled = (detail: string): ChatDeliveryError =>
      new ChatDeliveryError('cancelled', row.platform, row.chatId, detail);
    /** The row is `attempting`: a request for it is on the wire, or may have arrived and will be resent. */
    let inFlight = false;
    /** A request may have arrived: a withdrawn row then stays attempting, for start-up recovery to decide. */
    let maybeSent = false;
    /** Marks the seam's synchronous hooks started on an outbox without synchronous marks, in order. */
    let writes: Promise<void> = Promise.resolve();
    const later = (write: () => Promise<unknown>): void => {
      writes = writes.then(write).then(() => undefined);
    };
    const marked = (ok: boolean): void => {
      if (!ok) throw cancelled('the row is no longer pending');
      inFlight = true;
    };
    const sync = queue.wire;
    // Without synchronous marks the seam cannot commit `attempting` right before each request (its hooks do not
    // wait), so the row is marked once, before the sender is called, and stays attempting through its waits:
    // after a crash it is resolved at most once, as any row in flight.
    const marksBeforeSend = sender.reportsWire !== true || sync === undefined;
    const wire: WireHooks = {
      signal,
      onWire: () => {
        if (signal.aborted) throw cancelled('the worker is stopping');
        if (sync) marked(sync.markAttempting(row.id, clock.now(), { retry: inFlight }));
      },
      onNotSent: () => {
        if (!sync) return; // it stays attempting: nothing could mark it again before the next request
        sync.markNotSent(row.id);
        inFlight = false;
      },
      onMaybeSent: (firstAt) => {
        maybeSent = true;
        if (sync) sync.markMaybeSent(row.id, firstAt);
        else later(() => queue.markMaybeSent(row.id, firstAt));
      },
    };
    const onPartSent = (partsSent: number): void => {
      if (sync) {
        sync.markPartSent(row.id, partsSent);
        inFlight = false;
        return;
      }
      // The next part goes out under the same mark: attempting again once the part is recorded.
      later(async () => {
        await queue.markPartSent(row.id, partsSent);
        await queue.markAttempting(row.id, clock.now(), { retry: false });
      });
    };
    try {
      if (signal.aborted) throw cancelled('the worker is stopping');
      if (marksBeforeSend) marked(await queue.markAttempting(row.id, clock.now(), { retry: inFlight }));
      await sender(row, onPartSent, { wire, ...(row.maybeSentAt !== null ? { maybeSentAt: row.maybeSentAt } : {}) });
      await writes;
      await queue.markSent(row.id, clock.now());
      this.totals.sent++;
      this.notify('sent', row);
    } catch (error) {
      await writes;
      const id = error instanceof ChatDeliveryError ? error.id : 'internal';
      // Withdrawn before its request (stopping, or dropped meanwhile): a pending row stays pending for the next
      // start; a Discord row waiting to be resent stays attempting and start-up recovery decides.
      if (id === 'cancelled') {
        // Marked before the sender and withdrawn in a wait: nothing of it went out, so it waits as pending.
        if (marksBeforeSend && inFlight && !maybeSent && sender.reportsWire === true) await queue.markNotSent(row.id);
        return;
      }
      await this.giveUp(row, id, describeError(error));
    }
  }

  private async giveUp(row: OutboxRow, reason: string, detail: string): Promise<void> {
    const now = this.options.clock.now();
    // At most once: a row that may have arrived is `unknown`, never resent.
    if (reason === 'maybeSent') await this.queue.markUnknown(row.id, now, `maybeSent: ${detail}`);
    else await this.queue.markFailed(row.id, now, reason);
    this.totals.failed++;
    this.notify('failed', row, reason);
    const log = reason === 'internal' ? this.log.error.bind(this.log) : this.log.warn.bind(this.log);
    log(reason === 'tooLate' ? 'alert given up: too late' : 'alert not delivered', {
      platform: row.platform,
      chat: row.chatId,
      alert: row.alertId,
      reason,
      error: detail,
    });
  }

  /** Rows queued for a chat that is gone were given up (see subscriptionChatEvents): counted and reported. */
  recordDropped(rows: readonly OutboxRow[], reason: GoneReason): void {
    if (rows.length === 0) return;
    this.totals.failed += rows.length;
    for (const row of rows) this.notify('failed', row, 'dropped');
    const first = rows[0];
    this.log.warn('alerts queued for a chat that is gone were dropped', {
      platform: first?.platform,
      chat: first?.chatId,
      reason,
      rows: rows.length,
    });
  }

  private notify(event: 'sent' | 'failed', row: OutboxRow, reason = ''): void {
    try {
      if (event === 'sent') this.options.events?.sent?.(row);
      else this.options.events?.failed?.(row, reason);
    } catch {
      // an observer never breaks delivery
    }
  }

  /** Looks for new destinations every `intervalMs` until stopped; lanes run on their own, never waited for here. */
  start(intervalMs: number): void {
    const tick = (): void => {
      // A pass logs the outbox's failures itself and never rejects; the next tick retries.
      void this.schedule();
      if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
    };
    tick();
  }

  /**
   * Stops: no new request starts, every wait is abandoned (those rows stay pending), and it resolves when the
   * requests in flight have their answer (each bounded by the seam's request timeout).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await Promise.all([...this.lanes.values()]);
  }
}

/**
 * What the delivery layer's permanent failures do to subscriptions and to alerts still queued for the chat:
 * those are not sent (state `failed`, error `dropped: chat gone (<reason>)`) and `onDropped` hears of them.
 */
export function subscriptionChatEvents(
  store: SubscriptionStore,
  outbox?: ChatOutboxChanges,
  options: {
    now?: () => number;
    onDropped?: (rows: readonly OutboxRow[], reason: GoneReason) => void;
    /** A shared store's change failed (the database away): the rows stay queued for the chat. */
    onError?: (error: unknown) => void;
  } = {},
): ChatEvents {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  return {
    chatGone(platform, chatId, reason) {
      const chat: ChatRef = { platform, id: chatId };
      // A deleted channel will not come back; a block or a lost permission may be undone, so pause.
      if (reason === 'unknownChannel') store.remove(chat);
      else store.pause(chat, reason);
      const dropped = outbox?.dropChat(platform, chatId, now(), `dropped: chat gone (${reason})`) ?? [];
      if (Array.isArray(dropped)) options.onDropped?.(dropped, reason);
      else dropped.then((rows) => options.onDropped?.(rows, reason), onError);
    },
    chatMigrated(platform, fromChatId, toChatId) {
      store.moveChat({ platform, id: fromChatId }, toChatId);
      const moved = outbox?.moveChat(platform, fromChatId, toChatId);
      if (moved instanceof Promise) moved.catch(onError);
    },
  };
}

/** What a chat gone or moved does to the outbox: synchronous in SQLite, a promise in a shared store. */
export interface ChatOutboxChanges {
  dropChat(platform: OutboxPlatform, chatId: string, at: number, error: string): OutboxRow[] | Promise<OutboxRow[]>;
  moveChat(platform: OutboxPlatform, fromChatId: string, toChatId: string): void | Promise<void>;
}

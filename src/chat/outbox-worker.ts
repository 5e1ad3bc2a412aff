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
import type { OutboxPlatform, OutboxRow, SqliteOutbox } from '../store/outbox.js';
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
  outbox: SqliteOutbox;
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

  constructor(private readonly options: OutboxWorkerOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'outbox' });
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
      this.schedule();
      if (this.lanes.size === 0) break;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.stopped) break;
    }
    return { sent: this.totals.sent - before.sent, failed: this.totals.failed - before.failed };
  }

  /** Starts a lane for every destination with pending rows that has none yet. */
  private schedule(only?: OutboxPlatform): void {
    if (this.stopped) return;
    const limit = this.options.concurrency ?? Number.POSITIVE_INFINITY;
    for (const platform of Object.keys(this.options.senders) as OutboxPlatform[]) {
      const sender = this.options.senders[platform];
      if (!sender || (only !== undefined && platform !== only)) continue;
      this.deferred[platform] = false;
      for (const chatId of this.options.outbox.pendingDestinations(platform)) {
        if (this.lanes.has(`${platform}:${chatId}`)) continue;
        if (this.lanesOf[platform] >= limit) {
          this.deferred[platform] = true;
          break;
        }
        this.startLane(platform, chatId, sender);
      }
    }
  }

  private startLane(platform: OutboxPlatform, chatId: string, sender: OutboxSender): void {
    const key = `${platform}:${chatId}`;
    this.lanesOf[platform]++;
    const lane = this.runLane(platform, chatId, sender)
      .catch((error: unknown) =>
        this.log.error('outbox lane failed', { platform, chat: chatId, error: describeError(error) }),
      )
      .finally(() => {
        this.lanes.delete(key);
        this.lanesOf[platform]--;
        if (this.deferred[platform]) this.schedule(platform);
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
      const row = this.options.outbox.nextPending(platform, chatId);
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
    const { outbox, clock } = this.options;
    if (clock.now() > row.notAfter) {
      this.giveUp(row, 'tooLate', 'deadline passed before sending');
      return;
    }
    const signal = this.stopping.signal;
    /** The row is `attempting`: a request for it is on the wire, or may have arrived and will be resent. */
    let inFlight = false;
    const wire: WireHooks = {
      signal,
      onWire: () => {
        if (signal.aborted)
          throw new ChatDeliveryError('cancelled', row.platform, row.chatId, 'the worker is stopping');
        if (!outbox.markAttempting(row.id, clock.now(), { retry: inFlight })) {
          throw new ChatDeliveryError('cancelled', row.platform, row.chatId, 'the row is no longer pending');
        }
        inFlight = true;
      },
      onNotSent: () => {
        outbox.markNotSent(row.id);
        inFlight = false;
      },
      onMaybeSent: (firstAt) => outbox.markMaybeSent(row.id, firstAt),
    };
    const onPartSent = (partsSent: number): void => {
      outbox.markPartSent(row.id, partsSent);
      inFlight = false;
    };
    try {
      if (sender.reportsWire !== true) wire.onWire?.();
      await sender(row, onPartSent, { wire, ...(row.maybeSentAt !== null ? { maybeSentAt: row.maybeSentAt } : {}) });
      outbox.markSent(row.id, clock.now());
      this.totals.sent++;
      this.notify('sent', row);
    } catch (error) {
      const id = error instanceof ChatDeliveryError ? error.id : 'internal';
      // Withdrawn before its request (stopping, or dropped meanwhile): a pending row stays pending for the next
      // start; a Discord row waiting to be resent stays attempting and start-up recovery decides.
      if (id === 'cancelled') return;
      this.giveUp(row, id, describeError(error));
    }
  }

  private giveUp(row: OutboxRow, reason: string, detail: string): void {
    const now = this.options.clock.now();
    // At most once: a row that may have arrived is `unknown`, never resent.
    if (reason === 'maybeSent') this.options.outbox.markUnknown(row.id, now, `maybeSent: ${detail}`);
    else this.options.outbox.markFailed(row.id, now, reason);
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
      try {
        this.schedule();
      } catch (error) {
        this.log.error('outbox scheduling failed', { error: describeError(error) });
      }
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
  outbox?: SqliteOutbox,
  options: { now?: () => number; onDropped?: (rows: readonly OutboxRow[], reason: GoneReason) => void } = {},
): ChatEvents {
  const now = options.now ?? Date.now;
  return {
    chatGone(platform, chatId, reason) {
      const chat: ChatRef = { platform, id: chatId };
      // A deleted channel will not come back; a block or a lost permission may be undone, so pause.
      if (reason === 'unknownChannel') store.remove(chat);
      else store.pause(chat, reason);
      const dropped = outbox?.dropChat(platform, chatId, now(), `dropped: chat gone (${reason})`) ?? [];
      options.onDropped?.(dropped, reason);
    },
    chatMigrated(platform, fromChatId, toChatId) {
      store.moveChat({ platform, id: fromChatId }, toChatId);
      outbox?.moveChat(platform, fromChatId, toChatId);
    },
  };
}

// The outbox as the worker sees it: the row types every store shares and the port a store drains through. The
// SQLite outbox (src/store/outbox.ts) implements the port for one instance; a store shared by several instances
// implements `destinations` as a claim (a lane lease) and `release` as giving it back.
import type { Reply } from '../commands/reply.js';
import type { AlertLevel, SubscriptionStore } from './ports.js';

export type OutboxPlatform = 'discord' | 'telegram';
export type OutboxState = 'pending' | 'attempting' | 'sent' | 'failed' | 'unknown';

export interface OutboxItem {
  alertId: string;
  platform: OutboxPlatform;
  chatId: string;
  reply: Reply;
  createdAt: number;
  /** Epoch ms after which the alert is given up as too late. */
  notAfter: number;
}

export interface OutboxRow extends OutboxItem {
  id: number;
  key: string;
  state: OutboxState;
  attempts: number;
  /** Messages of a split reply already accepted (Telegram splits long alerts). */
  partsSent: number;
  /** Epoch ms of a request that may have arrived without confirmation (a Discord row requeued after a crash). */
  maybeSentAt: number | null;
}

/**
 * The marks written inside the Delivery seam's wire hooks and the sender's part callback, which are synchronous: a store that can write them
 * synchronously (SQLite) offers them, so `attempting` is committed right before each request, after every wait.
 */
export interface OutboxWireMarks {
  markAttempting(id: number, at: number, options: { retry?: boolean }): boolean;
  markNotSent(id: number): void;
  markMaybeSent(id: number, firstAt: number): void;
  markPartSent(id: number, partsSent: number): void;
}

/** What the outbox worker drains through. A rejected promise means the store is unreachable: retried later. */
export interface OutboxQueue {
  /**
   * Up to `limit` destinations of `platform` this instance may serve now, the one waiting longest first. Those it
   * already serves may be among them and count toward the limit; with several instances this is a claim (a lane
   * lease) that `release` gives back.
   */
  destinations(platform: OutboxPlatform, limit: number): Promise<string[]>;
  /** Done with the destination for now (its lane ended, or it was not started): another instance may take it. */
  release(platform: OutboxPlatform, chatId: string): Promise<void>;
  /** The oldest pending row of one destination. */
  nextPending(platform: OutboxPlatform, chatId: string): Promise<OutboxRow | undefined>;
  /** False if the row is no longer pending (dropped, or taken over). `retry: true` for a resend of an attempting row. */
  markAttempting(id: number, at: number, options: { retry?: boolean }): Promise<boolean>;
  markNotSent(id: number): Promise<void>;
  markMaybeSent(id: number, firstAt: number): Promise<void>;
  markPartSent(id: number, partsSent: number): Promise<void>;
  markSent(id: number, at: number): Promise<void>;
  markFailed(id: number, at: number, error: string): Promise<void>;
  markUnknown(id: number, at: number, error: string): Promise<void>;
  /** Synchronous wire marks, when the store can write them so (see OutboxWireMarks). */
  readonly wire?: OutboxWireMarks;
}

/** What the alert rules read back of an alert queued for a destination: when it last got the market at a level. */
export interface AlertMark {
  /** `platform:chatId`. */
  destination: string;
  market: string;
  level: AlertLevel;
  at: number;
}

/**
 * What the chat side keeps in a store: the subscriptions, the outbox the worker drains and the alerts' marks. One
 * instance keeps it in SQLite; several share it in Postgres (src/store/postgres/chat-store.ts).
 */
export interface ChatStore {
  readonly subscriptions: SubscriptionStore;
  readonly queue: OutboxQueue;
  /**
   * Queues the rows of decided alerts and their marks together. The marks count at once (`lastAlerts` sees them
   * before this resolves); resolves with the rows that were new, per platform. A store that writes synchronously
   * throws when it cannot (the risk pass fails and decides the alerts again); one that writes behind retries.
   */
  enqueue(items: readonly OutboxItem[], marks: readonly AlertMark[]): Promise<Record<OutboxPlatform, number>>;
  /** The last mark per destination and market: the cooldown the alert rules keep. Synchronous: read in a pass. */
  lastAlerts(): readonly AlertMark[];
  /** Gives up the rows waiting for a chat that is gone, with `error`; resolves with them. */
  dropChat(platform: OutboxPlatform, chatId: string, at: number, error: string): Promise<OutboxRow[]>;
  /** Rows waiting for a chat that got a new id follow it. */
  moveChat(platform: OutboxPlatform, fromChatId: string, toChatId: string): Promise<void>;
  /** When the oldest row still waiting was queued (epoch ms; null: none waits), as of the last look. */
  oldestPendingAt(): number | null;
  /** With several instances behind one Telegram webhook: true when this instance takes the update. */
  readonly claimTelegramUpdate?: (updateId: number) => Promise<boolean>;
  /** Stops timers and gives back what this instance holds; resolves when queued writes are done or given up. */
  close(): Promise<void>;
}

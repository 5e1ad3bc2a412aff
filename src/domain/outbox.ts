// The outbox as the worker sees it: the row types every store shares and the port a store drains through. The
// SQLite outbox (src/store/outbox.ts) implements the port for one instance; a store shared by several instances
// implements `destinations` as a claim (a lane lease) and `release` as giving it back.
import type { Reply } from '../commands/reply.js';

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

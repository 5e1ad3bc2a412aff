// The SQLite implementation of the SubscriptionStore port (tables: migration 2 in migrations.ts).
import type Database from 'better-sqlite3';
import type {
  AlertLevel,
  ChatRef,
  MarketRegime,
  Subscription,
  SubscriptionInput,
  SubscriptionStore,
} from '../domain/ports.js';

interface Row {
  id: number;
  platform: ChatRef['platform'];
  chat_id: string;
  markets: string | null;
  min_level: AlertLevel;
  regimes: string | null;
  created_by: string | null;
  created_at: number;
  paused: number;
  paused_reason: string | null;
}

function toSubscription(row: Row): Subscription {
  return {
    id: row.id,
    chat: { platform: row.platform, id: row.chat_id },
    markets: row.markets === null ? null : (JSON.parse(row.markets) as string[]),
    minLevel: row.min_level,
    regimes: row.regimes === null ? null : (JSON.parse(row.regimes) as MarketRegime[]),
    createdBy: row.created_by,
    createdAt: row.created_at,
    paused: row.paused === 1,
    pausedReason: row.paused_reason,
  };
}

export class SqliteSubscriptionStore implements SubscriptionStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      upsert: db.prepare(`
        INSERT INTO chat_subscriptions (platform, chat_id, markets, min_level, regimes, created_by, created_at, paused, paused_reason)
        VALUES (@platform, @chatId, @markets, @minLevel, @regimes, @createdBy, @createdAt, 0, NULL)
        ON CONFLICT (platform, chat_id) DO UPDATE SET
          markets = excluded.markets, min_level = excluded.min_level, regimes = excluded.regimes,
          created_by = excluded.created_by, created_at = excluded.created_at, paused = 0, paused_reason = NULL`),
      get: db.prepare('SELECT * FROM chat_subscriptions WHERE platform = ? AND chat_id = ?'),
      remove: db.prepare('DELETE FROM chat_subscriptions WHERE platform = ? AND chat_id = ?'),
      active: db.prepare('SELECT * FROM chat_subscriptions WHERE paused = 0 ORDER BY id'),
      activeOf: db.prepare('SELECT * FROM chat_subscriptions WHERE paused = 0 AND platform = ? ORDER BY id'),
      pause: db.prepare(
        'UPDATE chat_subscriptions SET paused = 1, paused_reason = ? WHERE platform = ? AND chat_id = ?',
      ),
      move: db.prepare('UPDATE OR REPLACE chat_subscriptions SET chat_id = ? WHERE platform = ? AND chat_id = ?'),
    };
  }

  upsert(input: SubscriptionInput): Subscription {
    this.statements.upsert.run({
      platform: input.chat.platform,
      chatId: input.chat.id,
      markets: input.markets === null ? null : JSON.stringify(input.markets),
      minLevel: input.minLevel,
      regimes: input.regimes === null ? null : JSON.stringify(input.regimes),
      createdBy: input.createdBy,
      createdAt: input.createdAt,
    });
    const saved = this.forChat(input.chat);
    if (!saved) throw new Error(`subscription of ${input.chat.platform} chat ${input.chat.id} was not saved`);
    return saved;
  }

  remove(chat: ChatRef): boolean {
    return this.statements.remove.run(chat.platform, chat.id).changes > 0;
  }

  forChat(chat: ChatRef): Subscription | undefined {
    const row = this.statements.get.get(chat.platform, chat.id) as Row | undefined;
    return row ? toSubscription(row) : undefined;
  }

  active(platform?: ChatRef['platform']): readonly Subscription[] {
    const rows = (platform ? this.statements.activeOf.all(platform) : this.statements.active.all()) as Row[];
    return rows.map(toSubscription);
  }

  pause(chat: ChatRef, reason: string): void {
    this.statements.pause.run(reason, chat.platform, chat.id);
  }

  moveChat(chat: ChatRef, toId: string): void {
    this.statements.move.run(toId, chat.platform, chat.id);
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openStore } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { useTempStore } from './temp-store.js';

function schemaOf(db: Database.Database): unknown[] {
  return db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    .all();
}

describe('store migrations', () => {
  const temp = useTempStore();

  it('applies every migration once on a new database and changes nothing when reopened', () => {
    const t = temp();
    const store = t.open();
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    const firstSchema = schemaOf(store.db);
    const firstRecords = store.db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
    expect(firstRecords).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1, applied_at: t.clock.now })));
    for (const table of ['markets', 'snapshots', 'liquidations', 'liquidation_buckets']) {
      expect(firstSchema).toContainEqual(expect.objectContaining({ type: 'table', name: table }));
    }

    t.clock.now += 60_000;
    const reopened = t.reopen(store);
    expect(reopened.schemaVersion).toBe(MIGRATIONS.length);
    expect(schemaOf(reopened.db)).toEqual(firstSchema);
    expect(reopened.db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all()).toEqual(
      firstRecords,
    );
  });

  it('creates the data directory and opens the file in WAL mode with foreign keys and a busy timeout', () => {
    const t = temp();
    const dataDir = join(t.dir, 'nested', 'data');
    const store = t.open({ dataDir, busyTimeoutMs: 1_234 });
    expect(existsSync(join(dataDir, 'spiralwatch.db'))).toBe(true);
    expect(store.path).toBe(join(dataDir, 'spiralwatch.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1_234);
  });

  it('refuses to open a database whose schema is newer than this build knows', () => {
    const t = temp();
    t.open().close();
    const db = new Database(join(t.dir, 'spiralwatch.db'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(MIGRATIONS.length + 5, 0);
    db.close();
    expect(() => openStore({ dataDir: t.dir, retentionDays: 7 })).toThrow(/newer than this build knows/);
  });

  it('rolls a failing migration back completely and keeps the versions before it', () => {
    const t = temp();
    const db = new Database(join(t.dir, 'custom.db'));
    try {
      const migrations = [
        'CREATE TABLE first (id INTEGER PRIMARY KEY) STRICT;',
        'CREATE TABLE second (id INTEGER PRIMARY KEY) STRICT; INSERT INTO no_such_table VALUES (1);',
      ];
      expect(() => migrate(db, () => 1, migrations)).toThrow(/Migration 2 failed and was rolled back/);
      expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
      expect(tables).toContain('first');
      expect(tables).not.toContain('second');

      // Fixed, it applies from where it stopped.
      const fixed = [migrations[0] as string, 'CREATE TABLE second (id INTEGER PRIMARY KEY) STRICT;'];
      expect(migrate(db, () => 2, fixed)).toEqual({ version: 2, applied: [2] });
      expect(migrate(db, () => 3, fixed)).toEqual({ version: 2, applied: [] });
    } finally {
      db.close();
    }
  });
});

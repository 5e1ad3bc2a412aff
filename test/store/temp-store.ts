// A store on a real SQLite file in a fresh temporary directory per test, removed afterwards. The clock is a
// plain field the test moves; rejections are collected instead of printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { SqliteMarketStore, StoreOptions, StoreRejectionError } from '../../src/store/index.js';
import { BASE_TIME } from '../builders.js';

export class TempStore {
  readonly dir: string;
  readonly clock = { now: BASE_TIME };
  readonly rejections: StoreRejectionError[] = [];
  private readonly opened: SqliteMarketStore[] = [];
  private readonly connections: Database.Database[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'spiralwatch-store-'));
  }

  open(overrides: Partial<StoreOptions> = {}): SqliteMarketStore {
    const store = openStore({
      dataDir: this.dir,
      retentionDays: 7,
      now: () => this.clock.now,
      onRejected: (error) => this.rejections.push(error),
      ...overrides,
    });
    this.opened.push(store);
    return store;
  }

  /** Closes `store` and opens the same file again (rebuilding the window from disk). */
  reopen(store: SqliteMarketStore, overrides: Partial<StoreOptions> = {}): SqliteMarketStore {
    store.close();
    return this.open(overrides);
  }

  /** A second, read-only connection to look at the rows themselves. */
  inspect(): Database.Database {
    const db = new Database(join(this.dir, 'spiralwatch.db'), { readonly: true });
    this.connections.push(db);
    return db;
  }

  dispose(): void {
    for (const db of this.connections) db.close();
    for (const store of this.opened) store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Registers hooks that give every test its own TempStore; call the returned function inside a test. */
export function useTempStore(): () => TempStore {
  let current: TempStore | undefined;
  beforeEach(() => {
    current = new TempStore();
  });
  afterEach(() => {
    current?.dispose();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('useTempStore: no test is running');
    return current;
  };
}

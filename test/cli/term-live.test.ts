// `term` on the command line reads the live figures from the bot's store, read-only, beside a running bot.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { liveLine } from '../../src/commands/live.js';
import type { Snapshot } from '../../src/domain/market.js';
import { loadGlossary } from '../../src/glossary/load.js';
import { MIGRATIONS } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { openStoreReadOnly } from '../../src/store/readonly-store.js';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { buildLiquidation, buildMarketInfo, buildSnapshot, HOUR, MINUTE } from '../builders.js';
import { useTempStore } from '../store/temp-store.js';

/** 2026-12-01 14:05 UTC; the last poll in these stores is at 14:02. */
const NOW = Date.UTC(2026, 11, 1, 14, 5, 0);
const LAST_POLL_AT = NOW - 3 * MINUTE;

const tempStore = useTempStore();
let savedDataDir: string | undefined;

beforeEach(() => {
  savedDataDir = process.env.DATA_DIR;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
  if (savedDataDir === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = savedDataDir;
});

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, (text) => lines.push(text));
  return { code, out: lines.join('\n') };
}

/** The text under "Now:" in a rendered reply. */
function nowSection(out: string): string[] {
  const lines = out.split('\n');
  const start = lines.indexOf('Now:');
  if (start < 0) return [];
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

const MARKETS = [
  buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' }),
  buildMarketInfo({ exchange: 'binanceusdm', symbol: 'ETH/USDT:USDT' }),
  buildMarketInfo({ exchange: 'bybit', symbol: 'BTC/USDT:USDT' }),
];

/** A poll every 30 s for the last 3 h and every 2 min from 20 h to 10 h ago, values moving with time. */
function pollTimes(): number[] {
  const times: number[] = [];
  for (let at = LAST_POLL_AT - 20 * HOUR; at < LAST_POLL_AT - 10 * HOUR; at += 2 * MINUTE) times.push(at);
  for (let at = LAST_POLL_AT - 3 * HOUR; at <= LAST_POLL_AT; at += 30_000) times.push(at);
  return times;
}

function snapshotOf(market: (typeof MARKETS)[number], index: number, at: number): Snapshot {
  const scale = market.base === 'BTC' ? 1 : 0.03;
  const markPrice = (120_000 + 40 * Math.sin(index / 7)) * scale;
  const openInterestContracts = (80_000 + index * 3) / scale;
  return buildSnapshot({
    exchange: market.exchange,
    symbol: market.symbol,
    at,
    markPrice,
    indexPrice: markPrice * (1 - 0.0004),
    lastPrice: markPrice,
    fundingRate: market.exchange === 'bybit' ? 0.0003 : 0.0001,
    openInterestContracts,
    openInterestUsd: openInterestContracts * markPrice * (market.exchange === 'bybit' ? 0.5 : 1),
    longShortAccountRatio: 1.5 + (index % 10) / 100,
  });
}

/** Fills the store as the bot's market service would: markets, polls, liquidations. */
function fill(store: SqliteMarketStore): void {
  store.saveMarkets(MARKETS);
  pollTimes().forEach((at, index) => store.saveSnapshots(MARKETS.map((market) => snapshotOf(market, index, at))));
  store.saveLiquidations([
    buildLiquidation({ at: NOW - 20 * MINUTE, side: 'long', sizeBase: 2 }),
    buildLiquidation({ at: NOW - 20 * MINUTE + 5_000, side: 'short', sizeBase: 1 }),
    buildLiquidation({ exchange: 'bybit', at: NOW - 50 * MINUTE, side: 'long', sizeBase: 3 }),
    buildLiquidation({ at: NOW - 5 * HOUR, side: 'long', sizeBase: 4 }),
  ]);
}

/** A store the bot has open and has written to, at this test's clock. */
function botStore(): SqliteMarketStore {
  const temp = tempStore();
  temp.clock.now = NOW;
  process.env.DATA_DIR = temp.dir;
  const store = temp.open();
  fill(store);
  return store;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('term on the command line, with the bot store', () => {
  it('prints the live funding line from the bot store and when it was polled', async () => {
    botStore();
    const { code, out } = await cli('term', 'funding');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Funding rate');
    const [line, source] = nowSection(out);
    expect(line).toContain('BTC funding +0.0100% per 8 h');
    expect(line).toContain('on binanceusdm');
    expect(source).toBe("(figures from the bot's store, last polled 14:02 UTC, 3 min ago)");
  });

  it('serves for every live measure the same line the bot serves from its own store', async () => {
    const store = botStore();
    const glossary = loadGlossary();
    const measures = new Map(glossary.entries.flatMap((e) => (e.live === null ? [] : [[e.live, e.id] as const])));
    expect(measures.size).toBeGreaterThanOrEqual(7);
    for (const [measure, id] of measures) {
      const { out } = await cli('term', id, '--json');
      const data = JSON.parse(out) as { live: string | null };
      expect({ measure, live: data.live }).toEqual({
        measure,
        live: liveLine(measure, { glossary, market: store }, NOW),
      });
    }
  });

  it('reads while the bot holds the store open, and sees each poll once it is committed', async () => {
    const store = botStore();
    const first = await cli('term', 'funding');
    vi.setSystemTime(NOW + 30_000);
    store.saveSnapshots(MARKETS.map((market) => snapshotOf(market, 0, NOW + 30_000)));
    const second = await cli('term', 'funding');
    expect(nowSection(first.out)[1]).toContain('3 min ago');
    expect(nowSection(second.out)[1]).toBe("(figures from the bot's store, last polled 14:05 UTC, 0 s ago)");
  });

  it('answers at once from the committed data while the bot is in the middle of a write', async () => {
    botStore();
    const writer = new Database(join(tempStore().dir, 'spiralwatch.db'));
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare('UPDATE snapshots SET funding_rate = 0.5 WHERE at = ?').run(LAST_POLL_AT);
    try {
      const { out } = await cli('term', 'funding');
      expect(nowSection(out)[0]).toContain('BTC funding +0.0100% per 8 h');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('says in --json where the figures come from and when they were polled', async () => {
    botStore();
    const { out } = await cli('term', 'funding', '--json');
    expect(JSON.parse(out)).toMatchObject({
      live: expect.stringContaining('BTC funding') as unknown,
      figures: { source: 'store', lastPolledAt: LAST_POLL_AT, ageMs: 3 * MINUTE },
    });
  });

  it('leaves the database file of a closed store byte for byte as it was', async () => {
    const store = botStore();
    store.close();
    const path = join(tempStore().dir, 'spiralwatch.db');
    const before = sha256(path);
    await cli('term', 'funding');
    await cli('term', 'liquidation', 'cascade');
    expect(sha256(path)).toBe(before);
  });

  it('says the store holds no recent data when nothing was polled in the last day', async () => {
    const temp = tempStore();
    temp.clock.now = NOW - 30 * HOUR;
    process.env.DATA_DIR = temp.dir;
    const store = temp.open();
    store.saveSnapshots([buildSnapshot({ at: NOW - 30 * HOUR })]);
    const { code, out } = await cli('term', 'funding');
    expect(code).toBe(0);
    expect(nowSection(out)).toEqual([
      `no live figures: the store holds no recent data (nothing polled in the last 24 h; ${join(temp.dir, 'spiralwatch.db')})`,
    ]);
  });

  it('adds nothing to a term the bot shows no live figures for', async () => {
    botStore();
    const { out } = await cli('term', 'ADL (Auto-Deleveraging)');
    expect(out).not.toContain('Now:');
    expect(out).not.toContain('figures');
  });
});

describe('term on the command line, without a usable store', () => {
  it('prints the glossary answer and says there is no store, creating no file or directory', async () => {
    const dir = join(tempStore().dir, 'not-yet', 'data');
    process.env.DATA_DIR = dir;
    const { code, out } = await cli('term', 'funding');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Funding rate');
    expect(out).toContain('Example');
    expect(nowSection(out)).toEqual([`no live figures: no store at ${dir}`]);
    expect(readdirSync(tempStore().dir)).toEqual([]);
  });

  it('says there is no store in a data directory that exists but holds no database, and leaves it empty', async () => {
    process.env.DATA_DIR = tempStore().dir;
    const { out } = await cli('term', 'funding');
    expect(nowSection(out)).toEqual([`no live figures: no store at ${tempStore().dir}`]);
    expect(readdirSync(tempStore().dir)).toEqual([]);
  });

  it('names a corrupt database in one line and still prints the glossary answer', async () => {
    const path = join(tempStore().dir, 'spiralwatch.db');
    writeFileSync(path, 'not a database, only text where SQLite expects its header\n'.repeat(100));
    process.env.DATA_DIR = tempStore().dir;
    const { code, out } = await cli('term', 'funding');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Funding rate');
    expect(nowSection(out)).toEqual([
      `no live figures: ${path} is not a readable Spiralwatch store (file is not a database)`,
    ]);
  });

  it('refuses a store at an older schema version in one line, without migrating it', async () => {
    const path = join(tempStore().dir, 'spiralwatch.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, () => NOW, MIGRATIONS.slice(0, 2));
    old.close();
    process.env.DATA_DIR = tempStore().dir;
    const { code, out } = await cli('term', 'funding');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Funding rate');
    expect(nowSection(out)).toEqual([
      `no live figures: the store at ${path} has schema version 2, this build reads ${MIGRATIONS.length}; the command line reads only a store the bot has migrated (start the bot of this version once)`,
    ]);
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(2);
    check.close();
  });

  it('says the store is locked when another process holds it exclusively, and still answers', async () => {
    const store = botStore();
    store.close();
    const path = join(tempStore().dir, 'spiralwatch.db');
    // A rollback-journal connection in an exclusive transaction shuts readers out, as WAL never does.
    const holder = new Database(path);
    holder.pragma('journal_mode = DELETE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const { code, out } = await cli('term', 'funding');
      expect(code).toBe(0);
      expect(out.split('\n')[0]).toBe('Funding rate');
      const section = nowSection(out);
      expect(section).toHaveLength(1);
      expect(section[0]).toMatch(/^no live figures: the store at .+ is locked by another process; try again \(/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 20_000);

  it('still creates nothing when asked for JSON, and says why there are no figures', async () => {
    const dir = join(tempStore().dir, 'absent');
    process.env.DATA_DIR = dir;
    const { out } = await cli('term', 'funding', '--json');
    expect(JSON.parse(out)).toMatchObject({
      live: null,
      figures: { source: 'none', reason: 'missing', message: `no live figures: no store at ${dir}` },
    });
    expect(existsSync(dir)).toBe(false);
  });
});

describe('the read-only reader the command line uses', () => {
  it('hands out what the bot store hands out: markets, latest snapshots, histories and liquidation buckets', () => {
    const store = botStore();
    const opened = openStoreReadOnly(tempStore().dir, { now: () => NOW });
    if (!opened.ok) throw new Error(`did not open: ${opened.detail}`);
    const reader = opened.store;
    try {
      expect(reader.markets()).toEqual(store.markets());
      expect(reader.latestSnapshots()).toEqual(store.latestSnapshots());
      expect(reader.latestSnapshots('bybit')).toEqual(store.latestSnapshots('bybit'));
      for (const market of MARKETS) {
        for (const sinceAt of [NOW - 24 * HOUR, NOW - 15 * HOUR, NOW - HOUR - 7_000]) {
          expect(reader.history(market.exchange, market.symbol, sinceAt)).toEqual(
            store.history(market.exchange, market.symbol, sinceAt),
          );
        }
      }
      expect(reader.history('okx', 'BTC/USDT:USDT', NOW - HOUR)).toEqual(
        store.history('okx', 'BTC/USDT:USDT', NOW - HOUR),
      );
      for (const sinceAt of [NOW - 24 * HOUR, NOW - HOUR, NOW - 20 * MINUTE + 30_000]) {
        expect(reader.liquidationBuckets(sinceAt)).toEqual(store.liquidationBuckets(sinceAt));
        expect(reader.liquidationBuckets(sinceAt, 'bybit')).toEqual(store.liquidationBuckets(sinceAt, 'bybit'));
      }
      expect(reader.lastSnapshotAt()).toBe(LAST_POLL_AT);
    } finally {
      reader.close();
    }
  });

  it('refuses to open a missing database without creating it', () => {
    const dir = join(tempStore().dir, 'none');
    const opened = openStoreReadOnly(dir);
    expect(opened).toMatchObject({ ok: false, problem: 'missing', path: join(dir, 'spiralwatch.db') });
    expect(existsSync(dir)).toBe(false);
  });
});

// The command line on a bot that keeps its data in Postgres (DATABASE_URL): `market` reads what the instances wrote
// there, not an empty SQLite file in DATA_DIR, and `term` says where the live figures are instead of "no store".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { openPostgresStore } from '../../src/store/postgres/market-store.js';
import { buildMarketInfo, buildSnapshot } from '../builders.js';
import { usePostgres } from '../support/postgres.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, (text) => lines.push(text));
  return { code, out: lines.join('\n') };
}

describe('the command line with DATABASE_URL', () => {
  const postgres = usePostgres();
  const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };
  const dirs: string[] = [];

  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function botWrote(url: string, now: number): Promise<void> {
    const store = await openPostgresStore({ pool: postgres.pool(url), retentionDays: 7, now: () => now });
    store.saveMarkets([buildMarketInfo()]);
    store.saveSnapshots([buildSnapshot({ at: now - 12_000, markPrice: 97_250 })]);
    await store.end();
  }

  function useDatabase(url: string): void {
    const dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-cli-pg-'));
    dirs.push(dataDir);
    process.env.DATABASE_URL = url;
    process.env.DATA_DIR = dataDir;
  }

  it('answers market from what the instances wrote to Postgres', async () => {
    const url = await postgres.database();
    await botWrote(url, Date.now());
    useDatabase(url);
    const { code, out } = await cli('market', 'BTC');
    expect(code).toBe(0);
    expect(out).toContain('binanceusdm BTC/USDT:USDT');
    expect(out).toContain('mark 97,250');
    expect(out).toContain('updated 12 s ago');
  });

  it('has term say the live figures are in Postgres rather than that there is no store', async () => {
    useDatabase(await postgres.database());
    const { code, out } = await cli('term', 'funding rate');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Funding rate');
    expect(out).toContain('the bot keeps its data in Postgres (DATABASE_URL)');
    expect(out).not.toContain('no store at');
  });
});

// `poll --once` with one venue that accepts connections and never answers (a raw HTTP server on 127.0.0.1) and one
// served by the mock exchange: the hung venue is reported as timed out, the other as polled, and once the command
// has returned nothing of ours is left connected to the hung venue, so the process is free to exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { flatScenario, waitFor } from '../market/helpers.js';

const KEYS = [
  'EXCHANGES',
  'EXCHANGE_ORIGIN_OVERRIDES',
  'MIN_OPEN_INTEREST_USD',
  'REQUEST_TIMEOUT_MS',
  'CYCLE_TIMEOUT_MS',
  'DATA_DIR',
] as const;

let mock: MockExchange;
let hung: { server: Server; origin: string; open: Set<Socket>; requests: number };
let dataDir: string;
let savedEnv: Record<string, string | undefined>;

/** Accepts every connection and reads every request, and never answers. */
async function startHungVenue(): Promise<typeof hung> {
  const open = new Set<Socket>();
  const state = { requests: 0 };
  const server = createServer(() => {
    state.requests += 1;
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    server,
    origin: `http://127.0.0.1:${address.port}`,
    open,
    get requests() {
      return state.requests;
    },
  };
}

beforeEach(async () => {
  savedEnv = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]));
  mock = await startMockExchange({ scenario: flatScenario() });
  hung = await startHungVenue();
  dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-poll-timeout-'));
  Object.assign(process.env, {
    EXCHANGES: 'bybit,okx',
    EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify({ okx: mock.overrides().okx, bybit: `${hung.origin}/bybit` }),
    MIN_OPEN_INTEREST_USD: '0',
    // A request to the hung venue would wait 20 s, and be retried twice, if anything waited for it.
    REQUEST_TIMEOUT_MS: '20000',
    CYCLE_TIMEOUT_MS: '3000',
    DATA_DIR: dataDir,
  });
});

afterEach(async () => {
  for (const key of KEYS) {
    const value = savedEnv[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  hung.server.closeAllConnections();
  await new Promise<void>((resolve) => hung.server.close(() => resolve()));
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function poll(...flags: string[]): Promise<{ code: number; out: string; elapsedMs: number }> {
  const lines: string[] = [];
  const started = performance.now();
  const code = await runCli(['poll', '--once', ...flags], (text) => lines.push(text));
  return { code, out: lines.join('\n'), elapsedMs: performance.now() - started };
}

describe('poll --once with a venue that never answers', () => {
  it('reports that venue as timed out in --json, the other as polled, and leaves no connection to it open', async () => {
    const { code, out, elapsedMs } = await poll('--json');
    expect(code).toBe(0);
    const { venues } = JSON.parse(out) as { venues: { exchange: string; ok: boolean; error: string | null }[] };
    expect(venues.find((v) => v.exchange === 'bybit')).toMatchObject({ ok: false, error: 'timed out after 3 s' });
    expect(venues.find((v) => v.exchange === 'okx')).toMatchObject({ ok: true, error: null });
    expect(hung.requests).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(12_000);
    // ccxt keeps an unanswered request (and its 20 s timer) alive unless its connection pool is destroyed.
    await waitFor(() => hung.open.size === 0, 1_000, 'the connections to the hung venue to close');
  });

  it('shows the timed-out venue as failed in the poll table', async () => {
    const { out } = await poll();
    expect(out).toMatch(/^bybit +0 +\d+ +1 +3\.\d\d s +failed: timed out after 3 s$/m);
    expect(out).toMatch(/^okx +3 +\d+ +0 +\d+\.\d\d s +ok$/m);
  });
});

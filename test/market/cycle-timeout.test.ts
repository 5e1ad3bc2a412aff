// A venue that accepts requests and never answers: its cycle is bounded by CYCLE_TIMEOUT_MS, reported as failed,
// counted in its health, and the answers it gets after that change nothing. The other venues finish as usual.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, cycleTimeoutMsOf, loadConfig } from '../../src/config/env.js';
import type { ExchangeId } from '../../src/domain/market.js';
import type { VenueCycleReport } from '../../src/market/types.js';
import { flatScenario, requestsTo, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

/** Two venues, 1.5 s of cycle and 5 s of request timeout: only the bound can end a cycle waiting on a delay. */
const ENV = { EXCHANGES: 'bybit,okx', CYCLE_TIMEOUT_MS: '1500', REQUEST_TIMEOUT_MS: '5000' };
const OTHERS: readonly ExchangeId[] = ['binanceusdm', 'okx', 'hyperliquid'];

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

function byVenue(reports: readonly VenueCycleReport[]): Map<ExchangeId, VenueCycleReport> {
  return new Map(reports.map((r) => [r.exchange, r]));
}

function snapshotsOf(harness: Harness, venue: ExchangeId): number {
  return harness.sink.snapshots.filter((s) => s.exchange === venue).length;
}

function healthOf(harness: Harness, venue: ExchangeId) {
  const status = harness.service.venueHealth().find((v) => v.exchange === venue);
  if (status === undefined) throw new Error(`no status for ${venue}`);
  return status;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the cycle bound (CYCLE_TIMEOUT_MS)', () => {
  it('defaults to two request timeouts and 5 s, 25 s with the default 10 s', () => {
    expect(cycleTimeoutMsOf(loadConfig({}))).toBe(25_000);
    expect(cycleTimeoutMsOf(loadConfig({ REQUEST_TIMEOUT_MS: '3000' }))).toBe(11_000);
    expect(cycleTimeoutMsOf(loadConfig({ CYCLE_TIMEOUT_MS: '12000' }))).toBe(12_000);
    expect(cycleTimeoutMsOf(loadConfig({ CYCLE_TIMEOUT_MS: '' }))).toBe(25_000);
  });

  it('refuses a cycle timeout that is not a positive whole number of milliseconds', () => {
    for (const value of ['0', '-5', '1.5', 'soon']) {
      expect(() => loadConfig({ CYCLE_TIMEOUT_MS: value }), value).toThrow(ConfigError);
    }
  });

  it('reports a venue that never answers as timed out after the bound, while the others finish their poll', async () => {
    // Every venue from cold, as `poll --once` runs: markets, slow, depth and fast jobs in turn.
    h = await startHarness({ scenario: flatScenario(), env: { CYCLE_TIMEOUT_MS: '3000', REQUEST_TIMEOUT_MS: '9000' } });
    h.mock.injectFault({ venue: 'bybit', kind: 'delay', delayMs: 10_000 });
    const started = performance.now();
    const reports = byVenue(await h.service.pollOnce({ include: ['slow', 'depth'] }));
    const elapsedMs = performance.now() - started;

    // Without the bound the first request alone waits out its 9 s timeout, then is retried twice.
    expect(elapsedMs).toBeLessThan(8_000);
    expect(reports.get('bybit')).toMatchObject({ ok: false, marketsUpdated: 0, error: 'timed out after 3 s' });
    expect(reports.get('bybit')?.durationMs).toBeGreaterThanOrEqual(2_990);
    for (const venue of OTHERS) {
      expect(reports.get(venue), venue).toMatchObject({ ok: true, marketsUpdated: 3 });
      expect(snapshotsOf(h, venue), venue).toBeGreaterThan(0);
    }
    // The first timeout ends the venue's part of the poll: its slow and depth jobs send nothing.
    const routes = new Set(requestsTo(h.mock, 'bybit').map((r) => r.route));
    expect([...routes]).toEqual(['/v5/market/instruments-info']);
  }, 20_000);

  it('counts a timed-out cycle as a failed cycle in the venue health', async () => {
    h = await startHarness({ scenario: flatScenario(), env: ENV });
    await h.service.pollOnce();
    h.mock.injectFault({ venue: 'bybit', kind: 'delay', delayMs: 8_000 });
    await h.service.pollOnce();
    const bybit = healthOf(h, 'bybit');
    expect(bybit.consecutiveFailures).toBe(1);
    expect(bybit.lastError).toBe('timed out after 1.5 s');
    expect(healthOf(h, 'okx').consecutiveFailures).toBe(0);
  }, 15_000);

  it('drops the answers of an abandoned cycle: no snapshot is written and the health stays as reported', async () => {
    h = await startHarness({ scenario: flatScenario(), env: ENV });
    const harness = h;
    await harness.service.pollOnce();
    const healthBefore = healthOf(harness, 'bybit');
    const snapshotsBefore = snapshotsOf(harness, 'bybit');
    // Answered after the bound but well within the request timeout: ccxt hands the late answer back.
    harness.mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'delay', delayMs: 2_500, count: 1 });
    const reports = byVenue(await harness.service.pollOnce());
    expect(reports.get('bybit')).toMatchObject({ ok: false, error: 'timed out after 1.5 s' });

    await waitFor(
      () => requestsTo(harness.mock, 'bybit', '/v5/market/tickers').at(-1)?.status === 200,
      5_000,
      'the late answer',
    );
    await pause(300); // ccxt parses it and the abandoned cycle would go on
    expect(snapshotsOf(harness, 'bybit')).toBe(snapshotsBefore);
    const healthAfter = healthOf(harness, 'bybit');
    expect(healthAfter.lastSuccessAt).toBe(healthBefore.lastSuccessAt);
    expect(healthAfter.consecutiveFailures).toBe(1);
    expect(healthAfter.lastError).toBe('timed out after 1.5 s');
  }, 15_000);

  it('frees a scheduled job at the bound, so the next tick runs instead of being skipped', async () => {
    h = await startHarness({ scenario: flatScenario(), env: ENV });
    await h.service.start();
    await h.service.pollOnce();
    h.mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'delay', delayMs: 4_000, count: 1 });
    const bybitFast = h.tasks.get('bybit:fast');
    if (bybitFast === undefined) throw new Error('bybit:fast not scheduled');
    const before = snapshotsOf(h, 'bybit');

    const hung = bybitFast.run();
    await pause(1_800);
    await bybitFast.run();
    await hung;

    const bybit = healthOf(h, 'bybit');
    expect(bybit.skippedRuns.fast).toBe(0);
    expect(bybit.consecutiveFailures).toBe(0);
    expect(snapshotsOf(h, 'bybit')).toBe(before + 3);
    expect(healthOf(h, 'okx').skippedRuns.fast).toBe(0);
  }, 15_000);

  it('starts within the bound when a venue never answers its market list, and says why in its health', async () => {
    h = await startHarness({ scenario: flatScenario(), env: ENV });
    h.mock.injectFault({ venue: 'bybit', kind: 'delay', delayMs: 8_000 });
    const started = performance.now();
    await h.service.start();
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(healthOf(h, 'bybit')).toMatchObject({
      state: 'not polled',
      lastError: 'loading markets timed out after 1.5 s',
    });
  }, 15_000);

  it('stops the service at once after a poll, with the abandoned request still waiting for its answer', async () => {
    h = await startHarness({ scenario: flatScenario(), env: ENV });
    h.mock.injectFault({ venue: 'bybit', kind: 'delay', delayMs: 8_000 });
    await h.service.pollOnce();
    expect(requestsTo(h.mock, 'bybit').at(-1)?.status).toBe(0); // still unanswered
    const started = performance.now();
    await h.service.stop();
    expect(performance.now() - started).toBeLessThan(500);
  }, 15_000);
});

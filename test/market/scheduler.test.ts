// Scheduling: one fast, depth and slow job per venue; a job never overlaps itself (a late run is skipped and
// counted in the venue's health); one venue's slowness never delays another's jobs.
import { afterEach, describe, expect, it } from 'vitest';
import { cronSchedule } from '../../src/market/scheduler.js';
import { flatScenario, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the jobs of each venue', () => {
  it('schedules a fast, a depth and a slow job per venue with the configured cron expressions', async () => {
    h = await startHarness({ scenario: flatScenario(), env: { FAST_POLL_CRON: '*/20 * * * * *' } });
    await h.service.start();
    expect([...h.tasks.keys()].sort()).toEqual(
      ['binanceusdm', 'bybit', 'hyperliquid', 'okx'].flatMap((v) => [`${v}:depth`, `${v}:fast`, `${v}:slow`]).sort(),
    );
    expect(h.tasks.get('okx:fast')?.expression).toBe('*/20 * * * * *');
    expect(h.tasks.get('okx:slow')?.expression).toBe('0 */15 * * * *');
    await h.service.stop();
    expect([...h.tasks.values()].every((task) => task.stopped)).toBe(true);
  });

  it('skips and counts a run while the previous one is still going, and never delays another venue', async () => {
    h = await startHarness({ scenario: flatScenario() });
    const { mock, service, sink, tasks } = h;
    await service.start();
    await service.pollOnce();
    mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'delay', delayMs: 1_500, count: 1 });
    const bybitFast = tasks.get('bybit:fast');
    const binanceFast = tasks.get('binanceusdm:fast');
    if (bybitFast === undefined || binanceFast === undefined) throw new Error('jobs not scheduled');

    const slowRun = bybitFast.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bybitFast.run(); // the next tick while the first is still waiting for its answer
    const started = Date.now();
    const before = sink.snapshotsOf('binanceusdm').length;
    await binanceFast.run();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sink.snapshotsOf('binanceusdm').length).toBe(before + 3);
    await slowRun;

    const health = service.venueHealth();
    expect(health.find((v) => v.exchange === 'bybit')?.skippedRuns).toEqual({ fast: 1, depth: 0, slow: 0 });
    expect(health.find((v) => v.exchange === 'binanceusdm')?.skippedRuns).toEqual({ fast: 0, depth: 0, slow: 0 });
    expect(h.log.lines.some((line) => line.message.includes('skipped') && line.fields['exchange'] === 'bybit')).toBe(
      true,
    );
  });

  it('runs on node-cron: a venue slower than its cadence loses ticks while the others keep theirs', async () => {
    h = await startHarness({
      scenario: flatScenario(),
      env: {
        EXCHANGES: 'binanceusdm,bybit',
        FAST_POLL_CRON: '* * * * * *',
        DEPTH_POLL_CRON: '0 0 0 1 1 *',
        SLOW_POLL_CRON: '0 0 0 1 1 *',
      },
      service: { schedule: cronSchedule },
    });
    const { mock, service, sink } = h;
    mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'delay', delayMs: 2_200 });
    await service.start();
    await waitFor(
      () => (service.venueHealth().find((v) => v.exchange === 'bybit')?.skippedRuns.fast ?? 0) >= 1,
      6_000,
      'a skipped bybit run',
    );
    await waitFor(() => sink.snapshotsOf('binanceusdm').length >= 6, 6_000, 'two binance cycles');
    expect(service.venueHealth().find((v) => v.exchange === 'binanceusdm')?.skippedRuns.fast).toBe(0);
    await service.stop();
    const after = sink.snapshots.length;
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(sink.snapshots.length).toBe(after);
  });
});

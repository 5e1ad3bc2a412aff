// /healthz: 200 while every enabled venue polled successfully within three fast cycles and the outbox drains;
// 503 naming the stale venue (and how stale) or the outbox age otherwise; back to 200 after recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/ops/health.js';
import type { VenueHealth } from '../../src/domain/market.js';
import { CYCLE_MS, startOpsWorld, type OpsWorld } from './helpers.js';

interface HealthBody {
  status: string;
  ok: boolean;
  reasons: string[];
  venues: { exchange: string; ok: boolean; lastSuccessAgeSec: number | null }[];
  outbox: { oldestPendingAgeSec: number | null; ok: boolean } | null;
}

let world: OpsWorld;

beforeAll(async () => {
  world = await startOpsWorld('bybit,okx');
  await world.harness.service.start();
});

afterAll(async () => {
  await world?.close();
});

async function health(): Promise<{ status: number; body: HealthBody }> {
  const answer = await world.get('/healthz');
  expect(answer.type).toContain('application/json');
  return { status: answer.status, body: JSON.parse(answer.body) as HealthBody };
}

/** One fast cycle of every venue, `CYCLE_MS` later on the manual clock. */
async function cycle(): Promise<void> {
  world.clock.now += CYCLE_MS;
  await world.harness.service.pollOnce();
}

describe('/healthz', () => {
  it('answers 200 when every venue polled within three fast cycles', async () => {
    await world.harness.service.pollOnce();
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', ok: true, reasons: [] });
    expect(body.venues.map((v) => v.exchange).sort()).toEqual(['bybit', 'okx']);
  });

  it('turns 503 naming the venue and how stale it is when the mock exchange fails it, and 200 after it recovers', async () => {
    const remove = world.harness.mock.injectFault({ venue: 'okx', kind: 'status', status: 503 });
    try {
      await cycle(); // 30 s since okx's last success
      await cycle(); // 60 s
      await cycle(); // 90 s: exactly three cycles, still within the bound
      expect((await health()).status).toBe(200);
      await cycle(); // 120 s: stale
      const { status, body } = await health();
      expect(status).toBe(503);
      expect(body.status).toBe('unhealthy');
      expect(body.reasons).toHaveLength(1);
      expect(body.reasons[0]).toMatch(/^okx last polled successfully 120 s ago \(limit 90 s; state degraded/);
      expect(body.venues.find((v) => v.exchange === 'okx')).toMatchObject({ ok: false, lastSuccessAgeSec: 120 });
      expect(body.venues.find((v) => v.exchange === 'bybit')).toMatchObject({ ok: true, lastSuccessAgeSec: 0 });
    } finally {
      remove();
    }
    await cycle();
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.reasons).toEqual([]);
  });

  it('turns 503 when an alert has waited in the outbox longer than five minutes, and 200 when it is sent', async () => {
    await cycle();
    world.outbox.oldestPendingAt = world.clock.now - 4 * 60_000;
    expect((await health()).status).toBe(200);
    world.outbox.oldestPendingAt = world.clock.now - 6 * 60_000;
    const { status, body } = await health();
    expect(status).toBe(503);
    expect(body.outbox).toEqual({ oldestPendingAgeSec: 360, ok: false });
    expect(body.reasons).toEqual(['outbox not draining: the oldest pending alert was queued 360 s ago (limit 300 s)']);
    world.outbox.oldestPendingAt = null;
    expect((await health()).status).toBe(200);
  });

  it('answers 404 for any other path', async () => {
    expect((await world.get('/')).status).toBe(404);
    expect((await world.get('/healthz/extra')).status).toBe(404);
    expect((await world.get('/metric')).status).toBe(404);
  });
});

describe('the health rules', () => {
  const venue = (overrides: Partial<VenueHealth>): VenueHealth =>
    ({
      exchange: 'bybit',
      state: 'ok',
      marketsWatched: 3,
      lastSuccessAt: 0,
      consecutiveFailures: 0,
      lastError: null,
      liquidationStream: 'open',
      liquidationCoverage: 'all',
      lastLiquidationAt: null,
      ...overrides,
    }) as VenueHealth;

  it('gives a venue never polled three cycles of grace from start, then reports it', () => {
    const sources = (now: number) => ({
      venues: () => [venue({ lastSuccessAt: null, state: 'not polled' })],
      now: () => now,
      startedAt: 0,
    });
    expect(checkHealth(sources(90_000), { cycleMs: 30_000 }).ok).toBe(true);
    const late = checkHealth(sources(91_000), { cycleMs: 30_000 });
    expect(late.ok).toBe(false);
    expect(late.reasons[0]).toContain('bybit has not polled successfully since start 91 s ago');
  });

  it('names the instance that answers, the role it holds at that moment and its Discord shards', () => {
    let role = 'single';
    const sources = {
      venues: () => [],
      now: () => 1_000,
      startedAt: 0,
      instance: () => ({ id: 'bot-a', role, discordShards: { ids: [0, 1], count: 4 } }),
    };
    expect(checkHealth(sources, { cycleMs: 30_000 }).instance).toEqual({
      id: 'bot-a',
      role: 'single',
      discordShards: { ids: [0, 1], count: 4 },
    });
    role = 'follower';
    expect(checkHealth(sources, { cycleMs: 30_000 }).instance?.role).toBe('follower');
  });

  it('ignores a disabled venue and has no outbox rule without a chat', () => {
    const report = checkHealth(
      { venues: () => [venue({ state: 'disabled', lastSuccessAt: null })], now: () => 10_000_000, startedAt: 0 },
      { cycleMs: 30_000 },
    );
    expect(report).toMatchObject({ ok: true, outbox: null });
  });
});

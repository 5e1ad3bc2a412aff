// /metrics: Prometheus text format from our own Registry, fed by the hooks of the market service, the outbox
// worker, the delivery seam and the risk loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import type { OutboxRow } from '../../src/store/outbox.js';
import { startOpsWorld, type OpsWorld } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  help: Set<string>;
  type: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (-?(?:[0-9]+(?:\\.[0-9]*)?(?:e[+-]?[0-9]+)?|\\+Inf|-Inf|NaN))$`,
);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g;

/** A strict reading of the text format: every line is a comment (HELP, TYPE) or `name{labels} value`. */
function parseExposition(text: string): Exposition {
  const help = new Set<string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
      expect(comment, `comment line: ${line}`).not.toBeNull();
      if (comment?.[1] === 'HELP') help.add(comment[2] ?? '');
      else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(comment?.[3]);
        type.set(comment?.[2] ?? '', comment?.[3] ?? '');
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    expect(match, `sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const pair of (match?.[2] ?? '').matchAll(LABEL_PAIR)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match?.[1] ?? '', labels, value: Number(match?.[3]) });
  }
  // Every sample belongs to a family with HELP and TYPE.
  for (const sample of samples) {
    const family = [...type.keys()].find(
      (name) => sample.name === name || /^_(bucket|sum|count)$/.test(sample.name.slice(name.length)),
    );
    expect(family, `family of ${sample.name}`).toBeDefined();
    expect(help.has(family ?? '')).toBe(true);
  }
  return { help, type, samples };
}

const row = (platform: 'discord' | 'telegram'): OutboxRow =>
  ({ id: 1, platform, chatId: '1', alertId: 'a', key: 'k' }) as OutboxRow;

let world: OpsWorld;

beforeAll(async () => {
  world = await startOpsWorld('bybit,okx');
  await world.harness.service.start();
  await world.harness.service.pollOnce();
});

afterAll(async () => {
  await world?.close();
});

function sum(samples: Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

describe('/metrics', () => {
  it('parses as Prometheus text with per-venue request counts, latency and poll durations after a poll', async () => {
    const answer = await world.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.type).toContain('text/plain');
    const { type, samples } = parseExposition(answer.body);
    expect(Object.fromEntries(type)).toMatchObject({
      spiralwatch_exchange_requests_total: 'counter',
      spiralwatch_exchange_request_errors_total: 'counter',
      spiralwatch_exchange_request_duration_seconds: 'histogram',
      spiralwatch_poll_duration_seconds: 'histogram',
      spiralwatch_poll_runs_total: 'counter',
      spiralwatch_poll_skipped_runs_total: 'counter',
      spiralwatch_markets_watched: 'gauge',
      spiralwatch_liquidations_total: 'counter',
      spiralwatch_alerts_queued_total: 'counter',
      spiralwatch_alerts_sent_total: 'counter',
      spiralwatch_alerts_failed_total: 'counter',
      spiralwatch_chat_retries_total: 'counter',
      spiralwatch_outbox_oldest_pending_age_seconds: 'gauge',
      spiralwatch_risk_pass_duration_seconds: 'histogram',
    });
    for (const venue of ['bybit', 'okx']) {
      const requests = samples.filter(
        (s) => s.name === 'spiralwatch_exchange_requests_total' && s.labels.venue === venue,
      );
      expect(requests.length, venue).toBeGreaterThan(0);
      expect(requests.every((s) => s.value > 0 && s.labels.endpoint !== undefined)).toBe(true);
      // The counter agrees with the service's own request count.
      const status = world.harness.service.venueHealth().find((v) => v.exchange === venue);
      expect(sum(samples, 'spiralwatch_exchange_requests_total', { venue })).toBe(status?.requests);
      expect(sum(samples, 'spiralwatch_exchange_request_duration_seconds_count', { venue })).toBe(status?.requests);
      expect(sum(samples, 'spiralwatch_poll_duration_seconds_count', { venue, job: 'fast' })).toBe(1);
      expect(sum(samples, 'spiralwatch_poll_runs_total', { venue, job: 'fast', outcome: 'ok' })).toBe(1);
      expect(sum(samples, 'spiralwatch_markets_watched', { venue })).toBe(status?.marketsWatched);
      expect(status?.marketsWatched).toBeGreaterThan(0);
      expect(samples.some((s) => s.name === 'spiralwatch_poll_skipped_runs_total' && s.labels.venue === venue)).toBe(
        true,
      );
    }
    // okx reads three endpoints per fast cycle (funding, open interest, mark price).
    const okxEndpoints = new Set(
      samples
        .filter((s) => s.name === 'spiralwatch_exchange_requests_total' && s.labels.venue === 'okx')
        .map((s) => s.labels.endpoint),
    );
    expect(okxEndpoints.size).toBeGreaterThanOrEqual(3);
  });

  it('counts failed requests per venue and endpoint', async () => {
    const remove = world.harness.mock.injectFault({ venue: 'bybit', kind: 'status', status: 500, count: 1 });
    try {
      await world.harness.service.pollOnce();
    } finally {
      remove();
    }
    const { samples } = parseExposition((await world.get('/metrics')).body);
    expect(sum(samples, 'spiralwatch_exchange_request_errors_total', { venue: 'bybit' })).toBe(1);
    expect(sum(samples, 'spiralwatch_exchange_request_errors_total', { venue: 'okx' })).toBe(0);
  });

  it('counts alerts queued, sent, failed and retried per platform, the outbox age and risk passes', async () => {
    const { metrics, outbox, clock } = world;
    metrics.alertsQueued('telegram', 3);
    metrics.alertsQueued('discord', 1);
    metrics.outbox.sent?.(row('telegram'));
    metrics.outbox.sent?.(row('telegram'));
    metrics.outbox.failed?.(row('telegram'), 'tooLate');
    metrics.deliveryRetry('discord', 'alert', 'rateLimited');
    metrics.riskPass({ ok: true, durationMs: 12, alerts: 2 });
    outbox.oldestPendingAt = clock.now - 42_000;
    const { samples } = parseExposition((await world.get('/metrics')).body);
    expect(sum(samples, 'spiralwatch_alerts_queued_total', { platform: 'telegram' })).toBe(3);
    expect(sum(samples, 'spiralwatch_alerts_queued_total', { platform: 'discord' })).toBe(1);
    expect(sum(samples, 'spiralwatch_alerts_sent_total', { platform: 'telegram' })).toBe(2);
    expect(sum(samples, 'spiralwatch_alerts_failed_total', { platform: 'telegram', reason: 'tooLate' })).toBe(1);
    expect(sum(samples, 'spiralwatch_chat_retries_total', { platform: 'discord', kind: 'alert' })).toBe(1);
    expect(sum(samples, 'spiralwatch_outbox_oldest_pending_age_seconds', {})).toBe(42);
    expect(sum(samples, 'spiralwatch_risk_pass_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(sum(samples, 'spiralwatch_risk_pass_duration_seconds_sum', { outcome: 'ok' })).toBeCloseTo(0.012);
    outbox.oldestPendingAt = null;
  });

  it('keeps its metrics off the global prom-client registry', async () => {
    expect(await globalRegistry.metrics()).not.toContain('spiralwatch_');
  });
});

// Shared helpers of the ops tests: a market service over the mock exchange (scenarios/calm.json) on a manual
// clock, with the metrics hooks wired in and the ops server on 127.0.0.1.
import { pollIntervalMs } from '../../src/app.js';
import { silentLogger } from '../../src/log/logger.js';
import { checkHealth } from '../../src/ops/health.js';
import { createMetrics, type BotMetrics } from '../../src/ops/metrics.js';
import { startOpsServer, type OpsServer } from '../../src/ops/server.js';
import { loadScenarioFile, startHarness, type Harness } from '../market/helpers.js';

export const FAST_POLL_CRON = '*/30 * * * * *';
export const CYCLE_MS = pollIntervalMs(FAST_POLL_CRON);

export interface OpsWorld {
  harness: Harness;
  metrics: BotMetrics;
  server: OpsServer;
  /** The service's and the health check's clock, epoch ms; tests move it. */
  clock: { now: number };
  /** The outbox's oldest pending row, as the health check and the gauge read it; tests set it. */
  outbox: { oldestPendingAt: number | null };
  get(path: string): Promise<{ status: number; type: string; body: string }>;
  close(): Promise<void>;
}

export async function startOpsWorld(venues: string): Promise<OpsWorld> {
  const clock = { now: Date.parse('2025-10-08T12:00:00Z') };
  const outbox = { oldestPendingAt: null as number | null };
  const metrics = createMetrics();
  const harness = await startHarness({
    scenario: loadScenarioFile('calm'),
    env: { EXCHANGES: venues, FAST_POLL_CRON, REQUEST_TIMEOUT_MS: '1000' },
    service: { now: () => clock.now, events: metrics.market },
  });
  const service = harness.service;
  metrics.setSources({
    venues: () => service.venueHealth(),
    liquidationsSaved: (exchange) => service.streamCounters(exchange).saved,
    oldestPendingAt: () => outbox.oldestPendingAt,
    now: () => clock.now,
  });
  const startedAt = clock.now;
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    log: silentLogger,
    metrics,
    health: () =>
      checkHealth(
        {
          venues: () => service.venueHealth(),
          oldestPendingAt: () => outbox.oldestPendingAt,
          now: () => clock.now,
          startedAt,
        },
        { cycleMs: CYCLE_MS },
      ),
  });
  return {
    harness,
    metrics,
    server,
    clock,
    outbox,
    async get(path) {
      const response = await fetch(server.url + path);
      return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
    },
    async close() {
      await server.close();
      await harness.close();
    },
  };
}

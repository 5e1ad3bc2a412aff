// Prometheus metrics of the bot, on a Registry of our own (never prom-client's global one). The core modules know
// nothing of prom-client: they take small observer hooks (market events, outbox events, delivery retries, risk
// passes), and this file turns those hooks into counters and histograms. Values the core already keeps (markets
// watched, skipped runs, liquidations saved, the outbox's oldest pending row) are read when Prometheus scrapes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExchangeId } from '../domain/market.js';
import type { MarketEvents, VenueStatus } from '../market/service.js';
import type { JobKind } from '../market/types.js';
import type { OutboxEvents } from '../chat/outbox-worker.js';
import type { DeliveryOptions } from '../chat/delivery.js';
import type { RiskLoopOptions } from '../pipeline/riskLoop.js';

export interface MetricsSources {
  /** The market service's live health (markets watched, skipped runs). */
  venues?: () => readonly VenueStatus[];
  /** Liquidations saved by a venue's stream since start. */
  liquidationsSaved?: (exchange: ExchangeId) => number;
  /** When the oldest pending outbox row was queued (epoch ms), null when none; absent without a chat. */
  oldestPendingAt?: () => number | null;
  /** The clock outbox rows are stamped with. */
  now?: () => number;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
}

export interface BotMetrics {
  registry: Registry;
  /** For createMarketService (via openApp's `marketEvents`). */
  market: MarketEvents;
  /** For startChat's `outboxEvents`. */
  outbox: OutboxEvents;
  /** For startChat's `delivery.onRetry`. */
  deliveryRetry: NonNullable<DeliveryOptions['onRetry']>;
  /** For createRiskLoop's `onPass`. */
  riskPass: NonNullable<RiskLoopOptions['onPass']>;
  /** Alerts written to the outbox, per platform. */
  alertsQueued(platform: string, rows: number): void;
  /** Sets where scrape-time values come from (main wires the chat after the market). */
  setSources(sources: MetricsSources): void;
  /** The exposition text, as /metrics serves it. */
  render(): Promise<string>;
  /** Its content type (Prometheus text format 0.0.4). */
  contentType: string;
}

const REQUEST_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RISK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(initial: MetricsSources = {}): BotMetrics {
  const registry = new Registry();
  let sources: MetricsSources = { ...initial };
  if (initial.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'spiralwatch_' });
  const registers = [registry];

  const requests = new Counter({
    name: 'spiralwatch_exchange_requests_total',
    help: 'REST requests sent to an exchange (every attempt, retries included).',
    labelNames: ['venue', 'endpoint'] as const,
    registers,
  });
  const requestErrors = new Counter({
    name: 'spiralwatch_exchange_request_errors_total',
    help: 'REST requests that failed (HTTP error, timeout, network error).',
    labelNames: ['venue', 'endpoint'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'spiralwatch_exchange_request_duration_seconds',
    help: 'Latency of REST requests to an exchange.',
    labelNames: ['venue', 'endpoint'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'spiralwatch_poll_duration_seconds',
    help: 'Duration of a poll job run (fast cycle, depth, slow) per venue.',
    labelNames: ['venue', 'job'] as const,
    buckets: JOB_BUCKETS,
    registers,
  });
  const jobRuns = new Counter({
    name: 'spiralwatch_poll_runs_total',
    help: 'Poll job runs per venue, by outcome (ok or failed).',
    labelNames: ['venue', 'job', 'outcome'] as const,
    registers,
  });

  const venues = (): readonly VenueStatus[] => sources.venues?.() ?? [];
  new Counter({
    name: 'spiralwatch_poll_skipped_runs_total',
    help: 'Scheduled poll runs skipped because the previous run of the same job was still going.',
    labelNames: ['venue', 'job'] as const,
    registers,
    collect() {
      this.reset();
      for (const venue of venues()) {
        for (const job of Object.keys(venue.skippedRuns) as JobKind[]) {
          this.inc({ venue: venue.exchange, job }, venue.skippedRuns[job]);
        }
      }
    },
  });
  new Gauge({
    name: 'spiralwatch_markets_watched',
    help: 'Markets a venue currently watches.',
    labelNames: ['venue'] as const,
    registers,
    collect() {
      this.reset();
      for (const venue of venues()) this.set({ venue: venue.exchange }, venue.marketsWatched);
    },
  });
  new Gauge({
    name: 'spiralwatch_venue_up',
    help: '1 when the venue is healthy (state ok), 0 otherwise (not polled, degraded, disabled).',
    labelNames: ['venue', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const venue of venues())
        this.set({ venue: venue.exchange, state: venue.state }, venue.state === 'ok' ? 1 : 0);
    },
  });
  new Counter({
    name: 'spiralwatch_liquidations_total',
    help: 'Liquidation events saved from a venue stream (a sample on Binance and OKX).',
    labelNames: ['venue'] as const,
    registers,
    collect() {
      this.reset();
      const saved = sources.liquidationsSaved;
      if (saved === undefined) return;
      for (const venue of venues()) this.inc({ venue: venue.exchange }, saved(venue.exchange));
    },
  });

  const queued = new Counter({
    name: 'spiralwatch_alerts_queued_total',
    help: 'Alert messages written to the outbox, per platform.',
    labelNames: ['platform'] as const,
    registers,
  });
  const sent = new Counter({
    name: 'spiralwatch_alerts_sent_total',
    help: 'Alert messages the platform accepted.',
    labelNames: ['platform'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'spiralwatch_alerts_failed_total',
    help: 'Alert messages given up, by reason (tooLate, chatGone, rejected, internal...).',
    labelNames: ['platform', 'reason'] as const,
    registers,
  });
  const retried = new Counter({
    name: 'spiralwatch_chat_retries_total',
    help: 'Chat calls retried (429, 5xx, network), by platform and kind of message (alert, reply, api).',
    labelNames: ['platform', 'kind'] as const,
    registers,
  });
  new Gauge({
    name: 'spiralwatch_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest alert waiting in the outbox (0 when none waits).',
    registers,
    collect() {
      const oldest = sources.oldestPendingAt?.() ?? null;
      const now = (sources.now ?? Date.now)();
      this.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
    },
  });
  const riskDuration = new Histogram({
    name: 'spiralwatch_risk_pass_duration_seconds',
    help: 'Duration of a risk pass (score every market, decide alerts).',
    labelNames: ['outcome'] as const,
    buckets: RISK_BUCKETS,
    registers,
  });

  return {
    registry,
    market: {
      request(sample) {
        const labels = { venue: sample.exchange, endpoint: sample.endpoint };
        requests.inc(labels);
        if (!sample.ok) requestErrors.inc(labels);
        requestDuration.observe(labels, sample.durationMs / 1000);
      },
      job(kind, report) {
        jobDuration.observe({ venue: report.exchange, job: kind }, report.durationMs / 1000);
        jobRuns.inc({ venue: report.exchange, job: kind, outcome: report.ok ? 'ok' : 'failed' });
      },
    },
    outbox: {
      sent: (row) => sent.inc({ platform: row.platform }),
      failed: (row, reason) => failed.inc({ platform: row.platform, reason }),
    },
    deliveryRetry: (platform, kind) => retried.inc({ platform, kind }),
    riskPass: (outcome) => riskDuration.observe({ outcome: outcome.ok ? 'ok' : 'failed' }, outcome.durationMs / 1000),
    alertsQueued: (platform, rows) => {
      if (rows > 0) queued.inc({ platform }, rows);
    },
    setSources(next) {
      sources = { ...sources, ...next };
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

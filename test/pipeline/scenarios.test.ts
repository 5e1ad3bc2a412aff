// The whole middle of the flow on the mock exchange: real ccxt clients poll the scenario and stream its liquidations
// into a real SQLite store on a stepped clock, and the risk loop scores every market after each poll, as the bot does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert, LastAlert } from '../../src/alerts/types.js';
import type { Subscription } from '../../src/domain/ports.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMarketService } from '../../src/market/service.js';
import { buildModel } from '../../src/mock-exchange/model.js';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import { createRiskLoop, type AlertSink } from '../../src/pipeline/riskLoop.js';
import type { RiskLevel } from '../../src/risk/levels.js';
import { openStore } from '../../src/store/index.js';
import { loadScenarioFile, mockConfig, TEST_TUNING } from '../market/helpers.js';

const STEP_SEC = 60;
/** Real time for the mock to push a step's liquidations and the streams to store them. */
const STREAM_SETTLE_MS = 300;
const WATCHED = ['binanceusdm', 'bybit', 'okx'] as const;
const RANK: Record<RiskLevel, number> = { calm: 0, elevated: 1, warning: 2, critical: 3 };
const directories: string[] = [];

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** An alert sink that records what it would have sent to one chat subscribed to everything. */
function recordingSink(): AlertSink & { alerts: Alert[] } {
  const subscription: Subscription = {
    id: 1,
    chat: { platform: 'telegram', id: '-100' },
    markets: null,
    minLevel: 'elevated',
    regimes: null,
    createdBy: null,
    createdAt: 0,
    paused: false,
    pausedReason: null,
  };
  const alerts: Alert[] = [];
  const last: LastAlert[] = [];
  return {
    alerts,
    subscriptions: () => [subscription],
    lastAlerts: () => last,
    deliver(decided, now) {
      alerts.push(...decided);
      for (const alert of decided) {
        for (const m of alert.markets)
          last.push({ destination: 'telegram:-100', market: m.market, level: m.level, at: now });
      }
    },
  };
}

/**
 * Replays `name` up to `untilSec` (without its scripted faults, which the market tests cover) and returns each
 * pass's levels and the alerts decided.
 */
async function replay(name: string, untilSec: number) {
  const scenario = parseScenario({ ...loadScenarioFile(name), faults: [] }, name);
  let wallMs = 0;
  const mock = await startMockExchange({ scenario, clock: () => wallMs });
  const dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-scenario-'));
  directories.push(dataDir);
  const now = () => mock.scenarioTime();
  const store = openStore({ dataDir, retentionDays: 7, now });
  // Hyperliquid's throttle costs a second of real time per call and it streams no liquidations: three venues
  // keep the replay quick.
  const config = mockConfig(mock, { EXCHANGES: WATCHED.join(',') });
  const market = createMarketService({
    config,
    sink: store,
    now,
    log: silentLogger,
    tuning: { ...TEST_TUNING, streams: true },
  });
  const sink = recordingSink();
  const loop = createRiskLoop({ market: store, health: market, sinks: [sink], now, log: silentLogger });
  const passes: { offsetSec: number; levels: Map<string, RiskLevel> }[] = [];
  try {
    await market.start();
    for (let offsetSec = 0; offsetSec <= untilSec; offsetSec += STEP_SEC) {
      wallMs = offsetSec * 1000;
      await new Promise((resolve) => setTimeout(resolve, STREAM_SETTLE_MS));
      // ccxt throttles order books by their weight in real time: books every fifth pass keep the replay quick.
      await market.pollOnce({
        include: offsetSec === 0 ? ['slow', 'depth'] : offsetSec % (5 * STEP_SEC) === 0 ? ['depth'] : [],
      });
      const pass = loop.runOnce();
      if (pass) passes.push({ offsetSec, levels: new Map(pass.cycle.markets.map((m) => [m.market, m.level])) });
    }
  } finally {
    await market.stop();
    store.close();
    await mock.close();
  }
  return { model: buildModel(scenario), passes, alerts: sink.alerts };
}

describe('scenario replays through the risk loop', () => {
  it('raises a market of the crash to warning before its largest liquidation minute', async () => {
    const { model, passes, alerts } = await replay('crash', 1800);
    // Each market's largest scripted liquidation minute, in seconds from the scenario's start.
    const largest = new Map<string, { minuteSec: number; usd: number }>();
    for (const venue of WATCHED) {
      const perMinute = new Map<string, number>();
      for (const event of model.venues.get(venue)?.liquidations ?? []) {
        const minuteSec = Math.floor((event.at - model.startMs) / 60_000) * 60;
        const key = `${venue}:${event.market.symbol}|${minuteSec}`;
        perMinute.set(key, (perMinute.get(key) ?? 0) + event.sizeUsd);
      }
      for (const [key, usd] of perMinute) {
        const [market = '', minute = ''] = key.split('|');
        if ((largest.get(market)?.usd ?? 0) < usd) largest.set(market, { minuteSec: Number(minute), usd });
      }
    }
    const warnedEarly = [...largest].filter(([market, { minuteSec }]) => {
      const first = passes.find((p) => RANK[p.levels.get(market) ?? 'calm'] >= RANK.warning);
      return first !== undefined && first.offsetSec < minuteSec;
    });
    expect(warnedEarly.map(([market]) => market)).not.toEqual([]);
    // The alert that says so reaches the subscribed chat.
    const [market] = warnedEarly[0] ?? [''];
    expect(alerts.some((a) => a.markets.some((m) => m.market === market && RANK[m.level] >= RANK.warning))).toBe(true);
  }, 240_000);

  it('keeps every market of the calm scenario calm', async () => {
    const { passes, alerts } = await replay('calm', 3600);
    expect(passes.length).toBeGreaterThan(50);
    const raised = passes.flatMap((p) =>
      [...p.levels].filter(([, level]) => level !== 'calm').map(([m, l]) => `${m} ${l}`),
    );
    expect(raised).toEqual([]);
    expect(alerts).toEqual([]);
  }, 240_000);
});

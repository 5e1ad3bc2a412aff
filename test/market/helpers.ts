// Shared helpers of the market tests: the mock exchange with a scenario, a config pointing every venue at it, a
// service with fast test tuning, a logger that records lines, and waiting for a condition.
import { readFileSync } from 'node:fs';
import type { Exchange } from 'ccxt';
import { loadConfig } from '../../src/config/env.js';
import type { ExchangeId } from '../../src/domain/market.js';
import type { LogFields, Logger } from '../../src/log/logger.js';
import { createMarketService } from '../../src/market/service.js';
import type { MarketService, MarketServiceOptions, MarketTuning } from '../../src/market/service.js';
import type { VenueMarket } from '../../src/market/types.js';
import type { MarketConfig } from '../../src/market/venue.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange, ScenarioInput } from '../../src/mock-exchange/server.js';
import { FakeSink } from './fakeSink.js';

export function loadScenarioFile(name: string): ScenarioInput {
  return JSON.parse(readFileSync(new URL(`../../scenarios/${name}.json`, import.meta.url), 'utf8')) as ScenarioInput;
}

/** A logger that keeps every line (level, message, fields) for assertions. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: { level: string; message: string; fields: LogFields }[] = [],
    private readonly bound: LogFields = {},
  ) {}
  private push(level: string, message: string, fields: LogFields = {}): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } });
  }
  error(message: string, fields?: LogFields): void {
    this.push('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.push('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.push('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.push('debug', message, fields);
  }
  child(fields: LogFields): Logger {
    return new RecordingLogger(this.lines, { ...this.bound, ...fields });
  }
}

/** Settings for a service pointed at the mock; `env` adds or overrides variables. */
export function mockConfig(mock: MockExchange, env: Record<string, string> = {}): MarketConfig {
  return loadConfig({
    EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(mock.overrides()),
    MIN_OPEN_INTEREST_USD: '0',
    REQUEST_TIMEOUT_MS: '3000',
    ...env,
  });
}

/** Short retries, no streams unless asked: tests wait seconds, not minutes. */
export const TEST_TUNING: MarketTuning = {
  streams: false,
  retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterWaitMs: 5_000, defaultRateLimitPauseMs: 200 },
  stream: { reconnectBaseMs: 50, reconnectMaxMs: 500 },
};

/** A scheduled task that tests fire by hand (node-cron would fire on the wall clock, in the middle of a test). */
export interface ManualTask {
  expression: string;
  name: string;
  run(): Promise<void>;
  stopped: boolean;
}

export interface Harness {
  mock: MockExchange;
  sink: FakeSink;
  log: RecordingLogger;
  service: MarketService;
  /** The jobs start() scheduled, by name (`bybit:fast`), unless the test passed its own schedule. */
  tasks: Map<string, ManualTask>;
  close(): Promise<void>;
}

/** Starts the mock and a service over it. `frozen` stops scenario time at its start (exact keyframe values). */
export async function startHarness(options: {
  scenario: ScenarioInput;
  env?: Record<string, string>;
  tuning?: MarketTuning;
  frozen?: boolean;
  /** The mock's wall clock, for a test that moves scenario time itself (default: real time, or frozen). */
  clock?: () => number;
  service?: Partial<MarketServiceOptions>;
}): Promise<Harness> {
  const wall = Date.now();
  const clock = options.clock ?? (options.frozen === true ? () => wall : undefined);
  const mock = await startMockExchange({ scenario: options.scenario, ...(clock !== undefined ? { clock } : {}) });
  const sink = new FakeSink();
  const log = new RecordingLogger();
  const tasks = new Map<string, ManualTask>();
  const service = createMarketService({
    config: mockConfig(mock, options.env),
    sink,
    log,
    now: () => mock.scenarioTime(),
    tuning: { ...TEST_TUNING, ...options.tuning },
    schedule: (expression, run, taskOptions) => {
      const task: ManualTask = { expression, name: taskOptions.name ?? expression, run, stopped: false };
      tasks.set(task.name, task);
      return { stop: () => void (task.stopped = true), destroy: () => void (task.stopped = true) };
    },
    ...options.service,
  });
  return {
    mock,
    sink,
    log,
    service,
    tasks,
    async close() {
      await service.stop();
      await mock.close();
    },
  };
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Requests the mock answered for one venue, optionally on one route. */
export function requestsTo(mock: MockExchange, venue: ExchangeId, route?: string) {
  return mock.requests().filter((r) => r.venue === venue && (route === undefined || r.route === route));
}

/** Three markets per venue with fixed values at every time: golden values do not move. */
export function flatScenario(overrides: Partial<Record<ExchangeId, unknown>> = {}): ScenarioInput {
  const market = (base: string, price: number, extra: Record<string, unknown> = {}) => ({
    base,
    keyframes: [
      {
        atSec: 0,
        price,
        premium: 0.0004,
        fundingRate: 0.0001,
        openInterestUsd: 2_000_000_000,
        volume24hUsd: 5_000_000_000,
        depth1PctUsd: 20_000_000,
        longShortRatio: 1.5,
      },
    ],
    ...extra,
  });
  return {
    name: 'flat',
    start: '2025-10-08T12:00:00Z',
    durationSec: 3600,
    venues: {
      binanceusdm: {
        markets: [market('BTC', 100_000), market('ETH', 4_000), market('SOL', 200, { fundingIntervalHours: 4 })],
      },
      bybit: { markets: [market('BTC', 100_000), market('ETH', 4_000), market('SOL', 200)] },
      okx: {
        markets: [
          market('BTC', 100_000, { contractSize: 0.01 }),
          market('ETH', 4_000, { contractSize: 0.1 }),
          market('SOL', 200, { contractSize: 1 }),
        ],
      },
      hyperliquid: {
        markets: [
          market('BTC', 100_000, { settle: 'USDC' }),
          market('ETH', 4_000, { settle: 'USDC' }),
          market('SOL', 200, { settle: 'USDC' }),
        ],
      },
      ...overrides,
    },
  } as ScenarioInput;
}

/**
 * A ccxt.pro stand-in for LiquidationStreams: `deliver` fills its liquidation cache and wakes the pending watch call
 * as ccxt would, and closing rejects the pending call ('closed by user').
 */
export function fakeLiquidationSocket(): { exchange: Exchange; deliver(...items: { info: unknown }[]): Promise<void> } {
  const cache: { info: unknown }[] = [];
  let wake: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const exchange = {
    liquidations: cache,
    watchLiquidationsForSymbols: () =>
      new Promise<void>((resolve, reject) => {
        wake = resolve;
        fail = reject;
      }),
    close: () => Promise.resolve(fail(new Error('closed by user'))),
    loadHttpProxyAgent: () => Promise.resolve(undefined),
  } as unknown as Exchange;
  return {
    exchange,
    async deliver(...items) {
      cache.push(...items);
      wake();
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

/** OKX's BTC linear swap as the venue adapter registers it (0.01 BTC a contract). */
export const OKX_BTC_SWAP: VenueMarket = {
  exchange: 'okx',
  symbol: 'BTC/USDT:USDT',
  venueId: 'BTC-USDT-SWAP',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  contractSize: 0.01,
  fundingIntervalHours: null,
};

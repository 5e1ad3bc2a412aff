// The real ccxt clients of all four venues against the mock exchange, with scenario time frozen at the start of
// scenarios/calm.json: every snapshot field equals the scenario's first keyframe, normalised (golden values).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepthBand, ExchangeId, Snapshot } from '../../src/domain/market.js';
import { snapshotSchema } from '../../src/domain/market.js';
import type { VenueCycleReport } from '../../src/market/types.js';
import { loadScenarioFile, requestsTo, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

const START = Date.parse('2025-10-08T12:00:00Z');
const HOUR = 3_600_000;

interface Golden {
  exchange: ExchangeId;
  symbol: string;
  mark: number;
  index: number | null;
  last: number | null;
  funding: number;
  intervalHours: number;
  openInterestUsd: number;
  volumeUsd: number;
  depth1PctUsd: number;
  longShort: number | null;
}

// From scenarios/calm.json, keyframe 0 (index = price / (1 + premium), rounded to the venue's tick).
const GOLDEN: Golden[] = [
  {
    exchange: 'binanceusdm',
    symbol: 'BTC/USDT:USDT',
    mark: 122000,
    index: 122000 / 1.0002,
    last: 122000,
    funding: 0.0001,
    intervalHours: 8,
    openInterestUsd: 14e9,
    volumeUsd: 18e9,
    depth1PctUsd: 60e6,
    longShort: 1.9,
  },
  {
    exchange: 'binanceusdm',
    symbol: 'SOL/USDT:USDT',
    mark: 222,
    index: 222,
    last: 222,
    funding: 0.00012,
    intervalHours: 4,
    openInterestUsd: 2.5e9,
    volumeUsd: 5e9,
    depth1PctUsd: 9e6,
    longShort: 3.1,
  },
  {
    exchange: 'bybit',
    symbol: 'BTC/USDT:USDT',
    mark: 122010,
    index: 122010 / 1.0002,
    last: 122010,
    funding: 0.0001,
    intervalHours: 8,
    openInterestUsd: 8e9,
    volumeUsd: 9e9,
    depth1PctUsd: 40e6,
    longShort: 1.7,
  },
  {
    exchange: 'bybit',
    symbol: 'ETH/USDT:USDT',
    mark: 4451,
    index: 4451,
    last: 4451,
    funding: 0.0001,
    intervalHours: 8,
    openInterestUsd: 4.5e9,
    volumeUsd: 6e9,
    depth1PctUsd: 20e6,
    longShort: 2.1,
  },
  {
    exchange: 'okx',
    symbol: 'BTC/USDT:USDT',
    mark: 121990,
    index: 121990 / 1.0001,
    last: 121990,
    funding: 0.00009,
    intervalHours: 8,
    openInterestUsd: 4e9,
    volumeUsd: 5e9,
    depth1PctUsd: 30e6,
    longShort: 1.6,
  },
  {
    exchange: 'okx',
    symbol: 'ETH/USDT:USDT',
    mark: 4449,
    index: 4449,
    last: 4449,
    funding: 0.0001,
    intervalHours: 8,
    openInterestUsd: 2.5e9,
    volumeUsd: 3e9,
    depth1PctUsd: 15e6,
    longShort: 2.0,
  },
  {
    exchange: 'hyperliquid',
    symbol: 'BTC/USDC:USDC',
    mark: 122000,
    index: 122000 / 1.0003,
    last: null,
    funding: 0.0000125,
    intervalHours: 1,
    openInterestUsd: 5.5e9,
    volumeUsd: 4e9,
    depth1PctUsd: 25e6,
    longShort: null,
  },
  {
    exchange: 'hyperliquid',
    symbol: 'SOL/USDC:USDC',
    mark: 222,
    index: 222,
    last: null,
    funding: 0.0000125,
    intervalHours: 1,
    openInterestUsd: 0.9e9,
    volumeUsd: 0.9e9,
    depth1PctUsd: 3e6,
    longShort: null,
  },
];

/** Cumulative depth per band as the scenario's default depth shape gives it. */
const SHAPE = [0.45, 1, 1.8, 3.5];

function near(actual: number | null | undefined, expected: number, relative: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected) / Math.abs(expected)).toBeLessThanOrEqual(relative);
}

describe('normalisation against the mock exchange, per venue (golden values)', () => {
  let h: Harness;
  let reports: VenueCycleReport[];

  beforeAll(async () => {
    h = await startHarness({ scenario: loadScenarioFile('calm'), frozen: true });
    await h.service.start();
    reports = await h.service.pollOnce({ include: ['slow', 'depth'] });
  });

  afterAll(async () => {
    await h.close();
  });

  it('completes one cycle on every venue and writes a valid snapshot per market', () => {
    expect(reports.map((r) => [r.exchange, r.ok, r.marketsUpdated])).toEqual([
      ['binanceusdm', true, 3],
      ['bybit', true, 3],
      ['okx', true, 3],
      ['hyperliquid', true, 3],
    ]);
    for (const snapshot of h.sink.snapshots) expect(snapshotSchema.safeParse(snapshot).success).toBe(true);
  });

  it.each(GOLDEN)('$exchange $symbol: mark, index, funding, annualized funding, open interest, volume', (golden) => {
    const snapshot = h.sink.latest(golden.exchange, golden.symbol) as Snapshot;
    expect(snapshot).toBeDefined();
    expect(snapshot.at).toBe(START);
    near(snapshot.markPrice, golden.mark, 1e-9);
    if (golden.index === null) expect(snapshot.indexPrice).toBeNull();
    else near(snapshot.indexPrice, golden.index, 1e-5);
    if (golden.last === null) expect(snapshot.lastPrice).toBeNull();
    else near(snapshot.lastPrice, golden.last, 1e-9);
    near(snapshot.fundingRate, golden.funding, 1e-9);
    expect(snapshot.fundingIntervalHours).toBe(golden.intervalHours);
    near(snapshot.fundingRateAnnualized, golden.funding * (8760 / golden.intervalHours), 1e-9);
    near(snapshot.openInterestUsd, golden.openInterestUsd, 1e-4);
    near(snapshot.volume24hUsd, golden.volumeUsd, 1e-6);
    const nextFunding = (Math.floor(START / (golden.intervalHours * HOUR)) + 1) * golden.intervalHours * HOUR;
    expect(snapshot.nextFundingAt).toBe(nextFunding);
  });

  it.each(GOLDEN)('$exchange $symbol: depth bands and long/short account ratio', (golden) => {
    const snapshot = h.sink.latest(golden.exchange, golden.symbol) as Snapshot;
    const bands = snapshot.depthBands as DepthBand[];
    expect(bands.map((b) => b.withinPercent)).toEqual([0.5, 1, 2, 5]);
    bands.forEach((band, i) => {
      near(band.bidUsd, golden.depth1PctUsd * (SHAPE[i] ?? 0), 1e-3);
      near(band.askUsd, golden.depth1PctUsd * (SHAPE[i] ?? 0), 1e-3);
    });
    if (golden.longShort === null) expect(snapshot.longShortAccountRatio).toBeNull();
    else near(snapshot.longShortAccountRatio, golden.longShort, 1e-3);
  });

  it('keeps OKX contract sizes: open interest in contracts times ctVal times mark', () => {
    const btc = h.sink.latest('okx', 'BTC/USDT:USDT') as Snapshot;
    near((btc.openInterestContracts ?? 0) * 0.01 * (btc.markPrice ?? 0), btc.openInterestUsd ?? 0, 1e-12);
    near(btc.openInterestContracts, 4e9 / 121990 / 0.01, 1e-4);
  });

  it('keeps the public leverage tiers of Bybit and OKX for the risk engine', () => {
    const bybit = h.service.leverageTiers('bybit', 'BTC/USDT:USDT');
    const okx = h.service.leverageTiers('okx', 'BTC/USDT:USDT');
    expect(bybit.length).toBeGreaterThan(1);
    expect(bybit[0]).toMatchObject({ tier: 1, unit: 'usd', floor: 0, maxLeverage: 100 });
    expect(bybit[1]?.floor).toBe(bybit[0]?.cap);
    expect(okx[0]).toMatchObject({ tier: 1, unit: 'base', floor: 0, maxLeverage: 100 });
    expect(h.service.leverageTiers('binanceusdm', 'BTC/USDT:USDT')).toEqual([]);
    expect(h.service.leverageTiers('hyperliquid', 'BTC/USDC:USDC')).toEqual([]);
  });

  it('saves the watched markets with their contract sizes', () => {
    expect(h.sink.markets.get('okx:BTC/USDT:USDT')).toMatchObject({ venueId: 'BTC-USDT-SWAP', contractSize: 0.01 });
    expect(h.sink.markets.get('hyperliquid:BTC/USDC:USDC')).toMatchObject({ venueId: 'BTC', settle: 'USDC' });
    expect(h.sink.markets.has('okx:BTC/USD:BTC')).toBe(false);
  });

  it('sends the fewest requests per fast cycle: Binance 1 + open interest per market, Bybit 1, OKX 4, Hyperliquid 1', async () => {
    const before = h.mock.requests().length;
    const cycle = await h.service.pollOnce();
    const during = h.mock.requests().slice(before);
    const count = (venue: ExchangeId) => during.filter((r) => r.venue === venue).length;
    expect(count('binanceusdm')).toBe(1 + 3);
    expect(during.filter((r) => r.venue === 'binanceusdm' && r.route === '/fapi/v1/premiumIndex')).toHaveLength(1);
    expect(count('bybit')).toBe(1);
    expect(count('okx')).toBe(4);
    expect(during.filter((r) => r.venue === 'okx' && r.route === '/api/v5/market/index-tickers')).toHaveLength(1);
    expect(count('hyperliquid')).toBe(1);
    expect(cycle.map((r) => r.requests)).toEqual([4, 1, 4, 1]);
  });

  it('loads markets leanly: one request per venue, two on Bybit (its PreLaunch page)', () => {
    expect(requestsTo(h.mock, 'binanceusdm', '/fapi/v1/exchangeInfo')).toHaveLength(1);
    expect(requestsTo(h.mock, 'bybit', '/v5/market/instruments-info')).toHaveLength(2);
    expect(requestsTo(h.mock, 'okx', '/api/v5/public/instruments')).toHaveLength(1);
    expect(requestsTo(h.mock, 'hyperliquid', '/info:spotMeta')).toHaveLength(0);
    expect(requestsTo(h.mock, 'hyperliquid', '/info:perpDexs')).toHaveLength(0);
  });

  it('reports each venue in its status, with the liquidation coverage it can offer', () => {
    const health = h.service.venueHealth();
    expect(health.map((v) => [v.exchange, v.state, v.marketsWatched, v.liquidationCoverage])).toEqual([
      ['binanceusdm', 'ok', 3, 'sampled'],
      ['bybit', 'ok', 3, 'all'],
      ['okx', 'ok', 3, 'sampled'],
      ['hyperliquid', 'ok', 3, 'not streamed'],
    ]);
    expect(health.find((v) => v.exchange === 'hyperliquid')).toMatchObject({
      liquidationStream: 'not streamed',
      missingCapabilities: ['watchLiquidations'],
    });
  });
});

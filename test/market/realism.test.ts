// The market service against the shapes real venues send beside the tidy case (issue 12): non-trading instruments
// in every listing, blank numbers, one coin under different bases and contract sizes, and OKX liquidations from
// net-mode accounts. Everything goes through the real ccxt clients and the mock exchange.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { coinOfMarket } from '../../src/domain/coin.js';
import type { ExchangeId, Snapshot } from '../../src/domain/market.js';
import type { ScenarioInput } from '../../src/mock-exchange/server.js';
import { startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

const VENUES: ExchangeId[] = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'];
/** PEPE's price per coin; venues quote bundles of it (1000PEPE, kPEPE) or contracts of ten million (OKX). */
const PEPE_USD = 0.00001;
const SHIB_USD = 0.00002;

function market(base: string, price: number, extra: Record<string, unknown> = {}) {
  return {
    base,
    keyframes: [
      {
        atSec: 0,
        price,
        premium: 0.0005,
        fundingRate: 0.0001,
        openInterestUsd: 500_000_000,
        volume24hUsd: 1_000_000_000,
        depth1PctUsd: 5_000_000,
        longShortRatio: 1.2,
      },
    ],
    ...extra,
  };
}

function realisticScenario(): ScenarioInput {
  const usdc = { settle: 'USDC' };
  return {
    name: 'realism',
    start: '2025-10-08T12:00:00Z',
    durationSec: 3600,
    venues: {
      binanceusdm: {
        markets: [
          market('BTC', 100_000),
          market('1000PEPE', PEPE_USD * 1000),
          market('1000SHIB', SHIB_USD * 1000),
          market('ETH', 4000, { blanks: ['fundingRate', 'nextFundingTime', 'indexPrice'] }),
        ],
      },
      bybit: {
        markets: [
          market('BTC', 100_000),
          market('1000PEPE', PEPE_USD * 1000),
          market('SHIB1000', SHIB_USD * 1000),
          market('ETH', 4000, { blanks: ['fundingRate', 'nextFundingTime', 'indexPrice', 'openInterestValue'] }),
          market('SOL', 200, { blanks: ['openInterest'] }),
        ],
      },
      okx: {
        markets: [
          market('BTC', 100_000, { contractSize: 0.01 }),
          market('PEPE', PEPE_USD, { contractSize: 10_000_000 }),
          market('SHIB', SHIB_USD, { contractSize: 1_000_000 }),
          market('ETH', 4000, { contractSize: 0.1, blanks: ['fundingRate', 'openInterest', 'indexPrice', 'premium'] }),
        ],
      },
      hyperliquid: {
        markets: [
          market('BTC', 100_000, usdc),
          market('kPEPE', PEPE_USD * 1000, usdc),
          market('kSHIB', SHIB_USD * 1000, usdc),
          market('ETH', 4000, { ...usdc, blanks: ['premium', 'midPrice', 'impactPrices'] }),
        ],
      },
    },
  } as ScenarioInput;
}

describe('the market service on realistic venue listings and values', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ scenario: realisticScenario(), frozen: true });
    await h.service.start();
    await h.service.pollOnce();
  });
  afterAll(async () => {
    await h.close();
  });

  const snapshot = (exchange: ExchangeId, symbol: string): Snapshot => {
    const found = h.sink.latest(exchange, symbol);
    if (found === undefined) throw new Error(`no snapshot of ${exchange} ${symbol}`);
    return found;
  };

  it('watches only the perpetuals that trade, never a settling, pre-launch, suspended, delisted or dated one', () => {
    expect(h.service.watchedSymbols('binanceusdm').sort()).toEqual([
      '1000PEPE/USDT:USDT',
      '1000SHIB/USDT:USDT',
      'BTC/USDT:USDT',
      'ETH/USDT:USDT',
    ]);
    expect(h.service.watchedSymbols('bybit').sort()).toEqual([
      '1000PEPE/USDT:USDT',
      'BTC/USDT:USDT',
      'ETH/USDT:USDT',
      'SHIB1000/USDT:USDT',
      'SOL/USDT:USDT',
    ]);
    expect(h.service.watchedSymbols('okx').sort()).toEqual([
      'BTC/USDT:USDT',
      'ETH/USDT:USDT',
      'PEPE/USDT:USDT',
      'SHIB/USDT:USDT',
    ]);
    expect(h.service.watchedSymbols('hyperliquid').sort()).toEqual([
      'BTC/USDC:USDC',
      'ETH/USDC:USDC',
      'KPEPE/USDC:USDC',
      'KSHIB/USDC:USDC',
    ]);
  });

  it('asked each venue for its listing the lean way, and the listings did hold non-trading instruments', () => {
    const okxListings = h.mock.requests().filter((r) => r.venue === 'okx' && r.route === '/api/v5/public/instruments');
    expect(okxListings.map((r) => r.query)).toEqual(['instType=SWAP']);
    const bybitListings = h.mock
      .requests()
      .filter((r) => r.venue === 'bybit' && r.route === '/v5/market/instruments-info')
      .map((r) => r.query);
    expect(bybitListings.some((query) => query.includes('status=PreLaunch'))).toBe(true);
  });

  it('keeps every venue healthy and logs no rejection and no error for the non-trading instruments or the blanks', () => {
    const noisy = h.log.lines.filter((line) => line.level === 'error' || line.message.startsWith('rejected'));
    expect(noisy).toEqual([]);
    expect(h.service.venueHealth().map((v) => [v.exchange, v.state])).toEqual(VENUES.map((v) => [v, 'ok']));
  });

  it('shows a funding rate, next funding time or index price the venue left blank as missing, never as zero', () => {
    for (const exchange of ['binanceusdm', 'bybit'] as const) {
      const eth = snapshot(exchange, 'ETH/USDT:USDT');
      expect(eth, exchange).toMatchObject({
        fundingRate: null,
        fundingRateAnnualized: null,
        nextFundingAt: null,
        indexPrice: null,
        markPrice: 4000,
      });
      expect(eth.openInterestUsd ?? 0, exchange).toBeCloseTo(500_000_000, -3);
    }
    const okx = snapshot('okx', 'ETH/USDT:USDT');
    expect(okx).toMatchObject({
      fundingRate: null,
      fundingRateAnnualized: null,
      indexPrice: null,
      openInterestContracts: null,
      openInterestUsd: null,
      markPrice: 4000,
    });
    // Only the blank fields are missing: the funding times of the same answer still count.
    expect(okx.nextFundingAt).toBe(Date.parse('2025-10-08T16:00:00Z'));
  });

  it('shows Bybit open interest left blank for a new listing as missing, and keeps its value when only the USD figure is blank', () => {
    expect(snapshot('bybit', 'SOL/USDT:USDT')).toMatchObject({
      openInterestContracts: null,
      openInterestUsd: null,
      markPrice: 200,
      fundingRate: 0.0001,
    });
    expect(snapshot('bybit', 'ETH/USDT:USDT').openInterestContracts ?? 0).toBeCloseTo(500_000_000 / 4000, 0);
  });

  it('reads a Hyperliquid market whose premium, mid and impact prices are null like any other', () => {
    const eth = snapshot('hyperliquid', 'ETH/USDC:USDC');
    expect(eth).toMatchObject({ markPrice: 4000, fundingRate: 0.0001, fundingIntervalHours: 1 });
    expect(eth.indexPrice ?? 0).toBeCloseTo(4000 / 1.0005, 0);
    expect(eth.openInterestUsd ?? 0).toBeCloseTo(500_000_000, -4);
  });

  it.each([
    ['PEPE', PEPE_USD],
    ['SHIB', SHIB_USD],
  ])('groups %s under one coin on every venue, with the same price per coin and open interest in USD', (coin, usd) => {
    const markets = [...h.sink.markets.values()].filter((m) => coinOfMarket(m).coin === coin);
    expect(markets.map((m) => m.exchange).sort()).toEqual([...VENUES].sort());
    for (const info of markets) {
      const { coinsPerBaseUnit, coinsPerContract } = coinOfMarket(info);
      const latest = snapshot(info.exchange, info.symbol);
      // A price is per unit of the venue's base: 1000PEPE and kPEPE cost a thousand PEPE.
      expect((latest.markPrice ?? 0) / coinsPerBaseUnit / usd, info.symbol).toBeCloseTo(1, 6);
      expect((latest.openInterestUsd ?? 0) / 500_000_000, info.symbol).toBeCloseTo(1, 3);
      // Coins per contract: the bundle on Binance, Bybit and Hyperliquid, ctVal on OKX.
      expect(coinsPerContract, info.symbol).toBe(info.exchange === 'okx' ? info.contractSize : 1000);
    }
  });
});

describe('OKX liquidations from net-mode and long/short-mode accounts through the market service', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const okxOnly = (positionMode: 'net' | 'longShort'): ScenarioInput =>
    ({
      name: `okx-${positionMode}`,
      start: '2025-10-08T12:00:00Z',
      durationSec: 600,
      venues: {
        okx: {
          positionMode,
          markets: [
            {
              ...market('BTC', 100_000, { contractSize: 0.01 }),
              liquidations: [
                { atSec: 1.2, side: 'long', sizeUsd: 50_000, price: 100_000 },
                { atSec: 2.4, side: 'short', sizeUsd: 20_000, price: 101_000 },
                { atSec: 3.6, side: 'long', sizeUsd: 30_000, price: 99_000 },
              ],
            },
          ],
        },
      },
    }) as ScenarioInput;

  it.each(['net', 'longShort'] as const)(
    'reports the liquidated position of OKX liquidations from %s-mode accounts, sides and sizes intact',
    async (positionMode) => {
      h = await startHarness({
        scenario: okxOnly(positionMode),
        env: { EXCHANGES: 'okx' },
        tuning: { streams: true, markPriceStream: false },
      });
      await h.service.start();
      await h.service.pollOnce();
      const sink = h.sink;
      await waitFor(() => sink.liquidationsOf('okx').length >= 3, 10_000, 'three OKX liquidations');
      expect(sink.liquidationsOf('okx').map((l) => [l.side, l.price, Math.round(l.sizeUsd / 1000)])).toEqual([
        ['long', 100_000, 50],
        ['short', 101_000, 20],
        ['long', 99_000, 30],
      ]);
      expect(h.log.lines.filter((line) => line.message.startsWith('rejected'))).toEqual([]);
    },
  );
});

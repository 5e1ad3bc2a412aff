// The pure normalisers: raw venue shapes (fixtures in the venues' own formats) to quotes, snapshots, liquidations
// and leverage tiers, with rejections for bad items.
import { describe, expect, it } from 'vitest';
import { snapshotSchema } from '../../src/domain/market.js';
import {
  annualizedFundingRate,
  buildSnapshot,
  depthBands,
  emptyQuote,
  intervalHoursBetween,
  mergeQuotes,
} from '../../src/market/normalise.js';
import type { VenueMarket } from '../../src/market/types.js';
import {
  normaliseBinanceForceOrder,
  parseBinanceFundingInfo,
  parseBinancePremiumIndex,
  parseBinanceTickers,
} from '../../src/market/venues/binanceusdm.js';
import {
  bybitRateLimitWaitMs,
  normaliseBybitLiquidation,
  parseBybitRiskLimits,
  parseBybitTickers,
} from '../../src/market/venues/bybit.js';
import { nextHourAt, parseHyperliquidAssets } from '../../src/market/venues/hyperliquid.js';
import {
  normaliseOkxLiquidation,
  parseOkxFundingRates,
  parseOkxMarkPrices,
  parseOkxOpenInterests,
  parseOkxPositionTiers,
  parseOkxTickers,
} from '../../src/market/venues/okx.js';
import { expectPlausible, ImplausibleResponseError } from '../../src/market/venues/adapter.js';

function market(partial: Partial<VenueMarket> & Pick<VenueMarket, 'exchange' | 'symbol' | 'venueId'>): VenueMarket {
  return {
    base: partial.symbol.split('/')[0] ?? 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    contractSize: 1,
    fundingIntervalHours: 8,
    ...partial,
  };
}

const binanceBtc = market({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT', venueId: 'BTCUSDT' });
const binanceEth = market({ exchange: 'binanceusdm', symbol: 'ETH/USDT:USDT', venueId: 'ETHUSDT' });
const bybitBtc = market({ exchange: 'bybit', symbol: 'BTC/USDT:USDT', venueId: 'BTCUSDT' });
const okxBtc = market({ exchange: 'okx', symbol: 'BTC/USDT:USDT', venueId: 'BTC-USDT-SWAP', contractSize: 0.01 });
const hlBtc = market({
  exchange: 'hyperliquid',
  symbol: 'BTC/USDC:USDC',
  venueId: 'BTC',
  quote: 'USDC',
  settle: 'USDC',
  fundingIntervalHours: 1,
});
const lookup =
  (...markets: VenueMarket[]) =>
  (id: string) =>
    markets.find((m) => m.venueId === id);

describe('funding, open interest and depth arithmetic', () => {
  it('annualizes funding by the number of intervals in a year', () => {
    expect(annualizedFundingRate(0.0001, 8)).toBeCloseTo(0.1095, 10);
    expect(annualizedFundingRate(0.0001, 4)).toBeCloseTo(0.219, 10);
    expect(annualizedFundingRate(0.0000125, 1)).toBeCloseTo(0.1095, 10);
  });

  it('gives no annualized funding when the rate or the interval is unknown', () => {
    expect(annualizedFundingRate(null, 8)).toBeNull();
    expect(annualizedFundingRate(0.0001, null)).toBeNull();
  });

  it('reads a funding interval from two settlement times only when it is a whole number of hours', () => {
    expect(intervalHoursBetween(0, 4 * 3_600_000)).toBe(4);
    expect(intervalHoursBetween(0, 1_000)).toBeNull();
    expect(intervalHoursBetween(null, 3_600_000)).toBeNull();
    expect(intervalHoursBetween(3_600_000, 0)).toBeNull();
  });

  it('sums bids and asks within each band of the mid, in USD, with the contract size', () => {
    const book = {
      bids: [
        [99.9, 10],
        [99.4, 10],
        [98.5, 10],
        [96, 10],
        [90, 10],
      ] as [number, number][],
      asks: [
        [100.1, 10],
        [100.6, 10],
        [101.5, 10],
        [104, 10],
        [110, 10],
      ] as [number, number][],
    };
    const bands = depthBands(book, 0.1);
    expect(bands?.map((b) => b.withinPercent)).toEqual([0.5, 1, 2, 5]);
    // mid = 100: 0.5% band holds 99.9 and 99.6+ bids -> only 99.9 (99.4 < 99.5)
    expect(bands?.[0]?.bidUsd).toBeCloseTo(99.9, 6);
    expect(bands?.[0]?.askUsd).toBeCloseTo(100.1, 6);
    expect(bands?.[1]?.bidUsd).toBeCloseTo(99.9 + 99.4, 6);
    expect(bands?.[2]?.askUsd).toBeCloseTo(100.1 + 100.6 + 101.5, 6);
    expect(bands?.[3]?.bidUsd).toBeCloseTo(99.9 + 99.4 + 98.5 + 96, 6);
  });

  it('gives no depth bands for a book with an empty side', () => {
    expect(depthBands({ bids: [], asks: [[1, 1]] }, 1)).toBeNull();
  });

  it('merges quote parts with later non-null values winning', () => {
    const merged = mergeQuotes({ markPrice: 1, fundingRate: 0.1 }, { markPrice: null, openInterestContracts: 5 });
    expect(merged).toEqual({ ...emptyQuote(), markPrice: 1, fundingRate: 0.1, openInterestContracts: 5 });
  });

  it('treats an empty or far too short answer as a failure', () => {
    expect(() => expectPlausible('okx', 'markPrice', 0, 3)).toThrow(ImplausibleResponseError);
    expect(() => expectPlausible('okx', 'markPrice', 40, 100)).toThrow(ImplausibleResponseError);
    expect(() => expectPlausible('okx', 'markPrice', 60, 100)).not.toThrow();
  });
});

describe('Binance USD-M shapes', () => {
  const premiumIndex = [
    {
      symbol: 'BTCUSDT',
      markPrice: '100040.00000000',
      indexPrice: '100000.00000000',
      estimatedSettlePrice: '100000.00000000',
      lastFundingRate: '0.00010000',
      interestRate: '0.00010000',
      nextFundingTime: 1759939200000,
      time: 1759924800000,
    },
    { symbol: 'ETHUSDT', markPrice: 'not a price', indexPrice: '4000', lastFundingRate: '0.0001', nextFundingTime: 0 },
    { symbol: 'BTCUSD_PERP', markPrice: '1', indexPrice: '1', lastFundingRate: '0', nextFundingTime: 0 },
  ];

  it('reads mark, index, funding and next funding from premiumIndex', () => {
    const parsed = parseBinancePremiumIndex(premiumIndex, lookup(binanceBtc, binanceEth));
    expect(parsed.values.get('BTC/USDT:USDT')).toEqual({
      markPrice: 100040,
      indexPrice: 100000,
      fundingRate: 0.0001,
      nextFundingAt: 1759939200000,
    });
    expect(parsed.received).toBe(3);
  });

  it('rejects only the market whose item is bad, naming the field, and skips markets it does not watch', () => {
    const parsed = parseBinancePremiumIndex(premiumIndex, lookup(binanceBtc, binanceEth));
    expect(parsed.values.has('ETH/USDT:USDT')).toBe(false);
    expect(parsed.rejections).toEqual([
      expect.objectContaining({ shape: 'binanceusdm.premiumIndex', id: 'ETHUSDT', field: 'markPrice' }),
    ]);
  });

  it('keeps only the intervals fundingInfo lists', () => {
    const parsed = parseBinanceFundingInfo(
      [{ symbol: 'ETHUSDT', adjustedFundingRateCap: '0.02', fundingIntervalHours: 4, disclaimer: false }],
      lookup(binanceBtc, binanceEth),
    );
    expect([...parsed.values]).toEqual([['ETH/USDT:USDT', 4]]);
  });

  it('takes 24 h volume from quoteVolume', () => {
    const parsed = parseBinanceTickers(
      [{ symbol: 'BTCUSDT', lastPrice: '100010.5', quoteVolume: '18000000000.00', volume: '180000' }],
      lookup(binanceBtc),
    );
    expect(parsed.values.get('BTC/USDT:USDT')).toEqual({ volume24hUsd: 18_000_000_000, lastPrice: 100010.5 });
  });

  it('reads a SELL force order as a liquidated long, with USD computed from the filled size', () => {
    const batch = normaliseBinanceForceOrder(
      {
        s: 'BTCUSDT',
        S: 'SELL',
        o: 'LIMIT',
        f: 'IOC',
        q: '0.500',
        p: '99500',
        ap: '100000',
        X: 'FILLED',
        l: '0.100',
        z: '0.500',
        T: 1759924801000,
      },
      lookup(binanceBtc),
    );
    expect(batch.liquidations).toEqual([
      {
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT:USDT',
        at: 1759924801000,
        side: 'long',
        price: 100000,
        sizeBase: 0.5,
        sizeUsd: 50_000,
      },
    ]);
  });

  it('reads a BUY force order as a liquidated short', () => {
    const batch = normaliseBinanceForceOrder(
      { s: 'BTCUSDT', S: 'BUY', q: '1', p: '100500', ap: '100400', X: 'FILLED', l: '1', z: '1', T: 1 },
      lookup(binanceBtc),
    );
    expect(batch.liquidations[0]?.side).toBe('short');
  });
});

describe('Bybit shapes', () => {
  const tickers = [
    {
      symbol: 'BTCUSDT',
      lastPrice: '100010.1',
      indexPrice: '99990.0',
      markPrice: '100010.1',
      openInterest: '20000.000',
      openInterestValue: '2000202000.00',
      turnover24h: '9000000000.0000',
      fundingRate: '0.0001',
      nextFundingTime: '1759939200000',
      deliveryTime: '0',
    },
    { symbol: 'ETHUSDT', lastPrice: '4000', indexPrice: '4000', openInterest: '1', fundingRate: '0.0001' },
  ];

  it('reads prices, funding, open interest in base units and turnover from one tickers answer', () => {
    const parsed = parseBybitTickers(tickers, lookup(bybitBtc));
    expect(parsed.values.get('BTC/USDT:USDT')).toEqual({
      markPrice: 100010.1,
      indexPrice: 99990,
      lastPrice: 100010.1,
      fundingRate: 0.0001,
      nextFundingAt: 1759939200000,
      openInterestContracts: 20000,
      volume24hUsd: 9_000_000_000,
    });
  });

  it('rejects a ticker without a mark price', () => {
    const eth = market({ exchange: 'bybit', symbol: 'ETH/USDT:USDT', venueId: 'ETHUSDT' });
    const parsed = parseBybitTickers(tickers, lookup(bybitBtc, eth));
    expect(parsed.rejections).toEqual([expect.objectContaining({ id: 'ETHUSDT', field: 'markPrice' })]);
  });

  it('reads Buy as a liquidated long: Bybit names the position, not the order', () => {
    const long = normaliseBybitLiquidation(
      { T: 1739502302929, s: 'BTCUSDT', S: 'Buy', v: '0.2', p: '100000' },
      lookup(bybitBtc),
    );
    const short = normaliseBybitLiquidation(
      { T: 1739502302930, s: 'BTCUSDT', S: 'Sell', v: '0.1', p: '100100' },
      lookup(bybitBtc),
    );
    expect(long.liquidations[0]).toMatchObject({ side: 'long', sizeBase: 0.2, sizeUsd: 20_000, price: 100000 });
    expect(short.liquidations[0]?.side).toBe('short');
  });

  it('builds leverage tiers from risk limits, each starting where the previous one ends', () => {
    const parsed = parseBybitRiskLimits(
      [
        { id: 2, symbol: 'BTCUSDT', riskLimitValue: '4000000', maintenanceMargin: '0.01', maxLeverage: '50.00' },
        { id: 1, symbol: 'BTCUSDT', riskLimitValue: '2000000', maintenanceMargin: '0.005', maxLeverage: '100.00' },
      ],
      bybitBtc,
    );
    expect(parsed.tiers).toEqual([
      { tier: 1, unit: 'usd', floor: 0, cap: 2_000_000, maintenanceMarginRate: 0.005, maxLeverage: 100 },
      { tier: 2, unit: 'usd', floor: 2_000_000, cap: 4_000_000, maintenanceMarginRate: 0.01, maxLeverage: 50 },
    ]);
  });

  it('waits until the rate-limit reset Bybit announces, measured on the server clock', () => {
    const wait = bybitRateLimitWaitMs(
      { 'X-Bapi-Limit-Reset-Timestamp': '1000002500' },
      '{"retCode":10006,"time":1000000000}',
    );
    expect(wait).toBe(2500);
    expect(bybitRateLimitWaitMs({}, undefined)).toBeNull();
  });
});

describe('OKX shapes', () => {
  const inverse = { instId: 'BTC-USD-SWAP' };

  it('reads the next settlement and the interval from fundingTime and nextFundingTime', () => {
    const parsed = parseOkxFundingRates(
      [
        {
          instId: 'BTC-USDT-SWAP',
          fundingRate: '0.00009',
          fundingTime: '1759939200000',
          nextFundingTime: '1759953600000',
          nextFundingRate: '',
          method: 'current_period',
        },
        { ...inverse, fundingRate: '0.0001', fundingTime: '1', nextFundingTime: '2' },
      ],
      lookup(okxBtc),
    );
    expect(parsed.values.get('BTC/USDT:USDT')).toEqual({
      fundingRate: 0.00009,
      nextFundingAt: 1759939200000,
      fundingIntervalHours: 4,
    });
    expect(parsed.values.size).toBe(1);
  });

  it('reads open interest in contracts and the mark price, skipping inverse swaps', () => {
    const oi = parseOkxOpenInterests(
      [
        {
          instId: 'BTC-USDT-SWAP',
          instType: 'SWAP',
          oi: '3278953.37',
          oiCcy: '32789.5337',
          oiUsd: '4000000000',
          ts: '1',
        },
        { ...inverse, oi: '1' },
      ],
      lookup(okxBtc),
    );
    const mark = parseOkxMarkPrices([{ instId: 'BTC-USDT-SWAP', markPx: '121990.2', ts: '1' }], lookup(okxBtc));
    expect(oi.values.get('BTC/USDT:USDT')).toEqual({ openInterestContracts: 3278953.37 });
    expect(mark.values.get('BTC/USDT:USDT')).toEqual({ markPrice: 121990.2 });
  });

  it('turns SWAP volume in coins into USD with the last price', () => {
    const parsed = parseOkxTickers([{ instId: 'BTC-USDT-SWAP', last: '100000', volCcy24h: '50000' }], lookup(okxBtc));
    expect(parsed.values.get('BTC/USDT:USDT')).toEqual({ volume24hUsd: 5_000_000_000, lastPrice: 100000 });
  });

  it('reads posSide as the liquidated position and every detail of an item, sizes in contracts', () => {
    const batch = normaliseOkxLiquidation(
      {
        instId: 'BTC-USDT-SWAP',
        instType: 'SWAP',
        details: [
          { bkLoss: '0', bkPx: '100000', posSide: 'short', side: 'buy', sz: '13', ts: '1692266434010' },
          { bkLoss: '0', bkPx: '99000', posSide: 'long', side: 'sell', sz: '2', ts: '1692266434011' },
        ],
      },
      lookup(okxBtc),
    );
    expect(batch.liquidations).toEqual([
      expect.objectContaining({ side: 'short', price: 100000, sizeBase: 0.13, sizeUsd: 13_000 }),
      expect.objectContaining({ side: 'long', price: 99000, sizeBase: 0.02 }),
    ]);
  });

  it('falls back to the order side in net mode: a sell closes a long', () => {
    const batch = normaliseOkxLiquidation(
      { instId: 'BTC-USDT-SWAP', details: [{ bkPx: '1', posSide: 'net', side: 'sell', sz: '1', ts: '1' }] },
      lookup(okxBtc),
    );
    expect(batch.liquidations[0]?.side).toBe('long');
  });

  it('gives position tiers in base units (contracts x ctVal)', () => {
    const parsed = parseOkxPositionTiers(
      [
        { tier: '2', minSz: '500', maxSz: '1000', mmr: '0.008', maxLever: '50', imr: '0.02' },
        { tier: '1', minSz: '0', maxSz: '500', mmr: '0.004', maxLever: '100', imr: '0.01' },
      ],
      okxBtc,
    );
    expect(parsed.tiers).toEqual([
      { tier: 1, unit: 'base', floor: 0, cap: 5, maintenanceMarginRate: 0.004, maxLeverage: 100 },
      { tier: 2, unit: 'base', floor: 5, cap: 10, maintenanceMarginRate: 0.008, maxLeverage: 50 },
    ]);
  });
});

describe('Hyperliquid shapes', () => {
  it('reads the merged universe and asset context, with hourly funding due at the next full hour', () => {
    const now = Date.UTC(2025, 9, 8, 12, 20);
    const parsed = parseHyperliquidAssets(
      [
        {
          name: 'BTC',
          szDecimals: 5,
          maxLeverage: 40,
          funding: '0.0000125',
          openInterest: '45081.94824',
          prevDayPx: '121000',
          dayNtlVlm: '4000000000',
          premium: '0.0003',
          oraclePx: '121963',
          markPx: '122000',
          midPx: '122000.5',
          impactPxs: ['121990', '122010'],
        },
      ],
      lookup(hlBtc),
      now,
    );
    expect(parsed.values.get('BTC/USDC:USDC')).toEqual({
      markPrice: 122000,
      indexPrice: 121963,
      fundingRate: 0.0000125,
      nextFundingAt: Date.UTC(2025, 9, 8, 13),
      fundingIntervalHours: 1,
      openInterestContracts: 45081.94824,
      volume24hUsd: 4_000_000_000,
    });
    expect(nextHourAt(Date.UTC(2025, 9, 8, 13))).toBe(Date.UTC(2025, 9, 8, 14));
  });
});

describe('snapshots', () => {
  it('builds a valid snapshot with open interest in USD and annualized funding', () => {
    const built = buildSnapshot({
      market: { ...okxBtc, fundingIntervalHours: null },
      at: 1759924800000,
      quote: { ...emptyQuote(), markPrice: 100_000, fundingRate: 0.0001, fundingIntervalHours: 4, nextFundingAt: 1 },
      openInterestContracts: 1_000,
      volume24hUsd: 10,
      lastPrice: null,
      depthBands: null,
      longShortAccountRatio: 1.5,
    });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(snapshotSchema.parse(built.snapshot)).toEqual(built.snapshot);
    expect(built.snapshot.openInterestUsd).toBeCloseTo(1_000 * 0.01 * 100_000, 6);
    expect(built.snapshot.fundingRateAnnualized).toBeCloseTo(0.219, 10);
    expect(built.snapshot.fundingIntervalHours).toBe(4);
  });

  it('rejects a snapshot the schema refuses instead of writing it', () => {
    const built = buildSnapshot({
      market: okxBtc,
      at: 1,
      quote: { ...emptyQuote(), markPrice: -5 },
      openInterestContracts: null,
      volume24hUsd: null,
      lastPrice: null,
      depthBands: null,
      longShortAccountRatio: null,
    });
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.rejection).toMatchObject({ shape: 'snapshot', field: 'markPrice' });
  });
});

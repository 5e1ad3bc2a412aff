// A market-data reader over synthetic histories: a loaded BTC market and a calm ETH one on Binance, at BASE_TIME.
// Shared by the command tests and the chat tests that run market commands end to end.
import type { MarketHistory, MarketInfo } from '../src/domain/market.js';
import type { MarketDataReader } from '../src/domain/ports.js';
import { BASE_TIME, buildMarketInfo } from './builders.js';
import { HOUR, historyFromWorld, storeTimes, type World } from './risk/histories.js';

export const NOW = BASE_TIME;

/** A market whose open interest rose 30% over the day at a flat price, with funding stretched: loaded. */
const loadedWorld: World = {
  price: () => 120_000,
  openInterestCoins: (at) => 80_000 * (1 + 0.3 * ((at - (NOW - 24 * HOUR)) / (24 * HOUR))),
  fundingRate: () => 0.0006,
  basis: () => 0.002,
  depthScale: () => 1,
  liquidations: () => ({ longUsd: 20_000, shortUsd: 10_000 }),
};

const calmWorld: World = {
  ...loadedWorld,
  price: () => 4_000,
  openInterestCoins: () => 1_000_000,
  fundingRate: () => 0.0001,
  basis: () => 0,
};

export function readerOf(entries: readonly [MarketInfo, MarketHistory][]): MarketDataReader {
  return {
    markets: () => entries.map(([info]) => info),
    latestSnapshots: () => entries.flatMap(([, h]) => h.snapshots.slice(-1)),
    history: (exchange, symbol, sinceAt) => {
      const found = entries.find(([info]) => info.exchange === exchange && info.symbol === symbol)?.[1];
      const snapshots = found?.snapshots.filter((s) => s.at >= sinceAt) ?? [];
      return { exchange, symbol, snapshots, liquidationBuckets: found?.liquidationBuckets ?? [] };
    },
    liquidationBuckets: () => entries.flatMap(([, h]) => h.liquidationBuckets),
  };
}

const btc = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' });
const eth = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'ETH/USDT:USDT' });
const times = storeTimes(NOW);

/** historyFromWorld builds BTC series; this one is ETH's. */
function asEth(h: MarketHistory): MarketHistory {
  const symbol = 'ETH/USDT:USDT';
  return {
    ...h,
    symbol,
    snapshots: h.snapshots.map((s) => ({ ...s, symbol, base: 'ETH' })),
    liquidationBuckets: h.liquidationBuckets.map((b) => ({ ...b, symbol })),
  };
}

export const marketReader = readerOf([
  [btc, historyFromWorld(loadedWorld, times, NOW)],
  [eth, asEth(historyFromWorld(calmWorld, times, NOW))],
]);

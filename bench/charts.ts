// `npm run bench -- charts [--quick]`: time to render each chart to PNG in-process (@napi-rs/canvas), over a
// seeded synthetic market as the store holds it (24 h at 5 min, the last 2 h at 30 s: about 505 snapshots) with
// a liquidation bucket most minutes and a sell-off in the last half hour. Each chart is rendered once to warm up,
// then timed ~30 times, alternating the dark and light themes.
import { cascadeChart } from '../src/charts/cascade.js';
import { marketChart } from '../src/charts/market.js';
import type { ChartImage } from '../src/charts/draw.js';
import type { LiquidationBucket, MarketHistory, Snapshot } from '../src/domain/market.js';
import { createRandom } from '../src/mock-exchange/random.js';
import { estimateCascade } from '../src/risk/cascade.js';
import type { Bench, BenchFigures } from './types.js';
import { percentiles } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 9, 10, 20, 0, 0);
const SEED = 0xc4a27;

export function syntheticHistory(): MarketHistory {
  const random = createRandom(SEED).next;
  const times: number[] = [];
  for (let t = NOW - 24 * HOUR; t < NOW - 2 * HOUR; t += 5 * MINUTE) times.push(t);
  for (let t = NOW - 2 * HOUR; t <= NOW; t += 30_000) times.push(t);
  const crashAt = NOW - 30 * MINUTE;
  let price = 120_000;
  let coins = 80_000;
  let funding = 0.0002;
  const snapshots: Snapshot[] = times.map((at) => {
    const crashing = at >= crashAt;
    price *= 1 + (random() - 0.5) * 0.003 - (crashing ? 0.002 : 0);
    coins *= 1 + (random() - 0.45) * 0.003 - (crashing ? 0.004 : 0);
    funding += (random() - 0.5) * 0.00002;
    return {
      exchange: 'binanceusdm',
      symbol: 'BTC/USDT:USDT',
      base: 'BTC',
      at,
      markPrice: price,
      indexPrice: price * (1 - 0.0003),
      lastPrice: price,
      fundingRate: funding,
      fundingIntervalHours: 8,
      nextFundingAt: null,
      fundingRateAnnualized: funding * 3 * 365,
      openInterestContracts: coins,
      openInterestUsd: coins * price,
      volume24hUsd: coins * price * 1.5,
      depthBands: [0.5, 1, 2, 5].map((withinPercent) => ({
        withinPercent,
        bidUsd: 4e6 * withinPercent,
        askUsd: 3.6e6 * withinPercent,
      })),
      longShortAccountRatio: 1.6,
    };
  });
  const liquidationBuckets: LiquidationBucket[] = [];
  for (let minuteAt = NOW - 24 * HOUR; minuteAt <= NOW; minuteAt += MINUTE) {
    const crashing = minuteAt >= crashAt;
    for (const side of ['long', 'short'] as const) {
      if (random() < 0.4) continue;
      const scale = crashing && side === 'long' ? 50 : 1;
      liquidationBuckets.push({
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT:USDT',
        minuteAt,
        side,
        count: 1 + Math.floor(random() * 5),
        sizeUsd: 20_000 * scale * (0.2 + random() * 3),
      });
    }
  }
  return { exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT', snapshots, liquidationBuckets };
}

function timeRenders(count: number, render: (theme: 'dark' | 'light') => ChartImage): { ms: number[]; bytes: number } {
  render('dark');
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const image = render(i % 2 === 0 ? 'dark' : 'light');
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    bytes = Math.max(bytes, image.png.byteLength);
  }
  return { ms, bytes };
}

function figures(name: string, count: number, result: { ms: number[]; bytes: number }): BenchFigures {
  const p = percentiles(result.ms);
  return {
    bench: 'charts',
    case: name,
    figures: {
      renders: count,
      medianMs: p.median,
      p99Ms: p.p99,
      maxMs: p.max,
      largestPngKb: Math.round(result.bytes / 102.4) / 10,
      widthPx: 1000,
      heightPx: 640,
    },
  };
}

export const charts: Bench = {
  name: 'charts',
  description: 'PNG chart rendering time (cascade and 24 h market charts, 1000×640)',
  async run({ quick }) {
    const count = quick ? 10 : 30;
    const history = syntheticHistory();
    const estimate = estimateCascade({ history, now: NOW, shock: 0.05, direction: 'down' });
    if (!estimate.ok) throw new Error(`no cascade estimate for the synthetic market: ${estimate.reason}`);
    const cascade = timeRenders(count, (theme) => cascadeChart(estimate, theme));
    const market = timeRenders(count, (theme) => marketChart(history, theme));
    return [figures('cascade', count, cascade), figures('market', count, market)];
  },
};

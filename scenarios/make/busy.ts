// Busy normal days, for alert volume: 80 markets on each venue (320 in all). BTC, ETH, SOL and XRP are textured by
// the generator; 76 further markets per venue come from the scenario's `generate` section (seeded, the same bases on
// every venue) and a handful of those are listed again in `markets` with texture and a move of their own (a
// generated base already listed is skipped by the mock): on the second day a few of them pump or dump 20-40% with
// liquidations of their own, as happens most days. No expect section: a dumping alt may rightly warn.
import { generatedMarketSpecs } from '../../src/mock-exchange/model.js';
import { generateSpecSchema } from '../../src/mock-exchange/scenario.js';
import type { CoinPlan, GenerateInput, Listing, Plan } from './build.js';
import { VENUES } from './build.js';
import { pct, price, usd, when } from './describe.js';
import { coin } from './markets.js';
import { HOUR as H, MINUTE, Noise, sig, type Move } from './texture.js';

const GENERATED = 76;
const MOVERS = 5;

interface Mover {
  base: string;
  at: number;
  kind: 'pump' | 'dump';
  change: number;
  spanSec: number;
}

/** A generated base given texture and its own move, with the generated levels of each venue as its start. */
function moverCoin(spec: GenerateInput, base: string, mover: Mover | null, noise: Noise): CoinPlan {
  const parsed = generateSpecSchema.parse(spec);
  const venues: Partial<Record<(typeof VENUES)[number], Listing>> = {};
  let first: { price: number; fundingRate: number; longShortRatio: number } | null = null;
  for (const venue of VENUES) {
    const market = generatedMarketSpecs(venue, parsed).find((m) => m.base === base);
    const k = market?.keyframes[0];
    if (market === undefined || k === undefined) throw new Error(`no generated ${base}`);
    first ??= { price: k.price ?? 1, fundingRate: k.fundingRate ?? 0.0001, longShortRatio: k.longShortRatio ?? 1 };
    venues[venue] = {
      oiUsd: k.openInterestUsd ?? 1e6,
      volumeUsd: k.volume24hUsd ?? 1e6,
      depthUsd: k.depth1PctUsd ?? 1e4,
      maxLeverage: market.maxLeverage,
      ...(venue === 'hyperliquid' ? {} : { longShortRatio: k.longShortRatio ?? 1 }),
    };
  }
  if (first === null) throw new Error(`no generated ${base}`);
  const oiTotal = Object.values(venues).reduce((s, l) => s + (l?.oiUsd ?? 0), 0);
  const plan: CoinPlan = {
    base,
    price: sig(first.price, 7),
    vol: noise.uniform(0.9, 1.4),
    rho: noise.uniform(0.3, 0.55),
    funding8h: first.fundingRate,
    longShortRatio: first.longShortRatio,
    venues,
  };
  if (mover === null) return plan;
  const sign = mover.kind === 'pump' ? 1 : -1;
  const end = mover.at + mover.spanSec;
  const moves: Move[] = [
    { from: mover.at, to: end, change: mover.change, curve: { mode: noise.uniform(0.35, 0.65), k: 6 } },
    { from: end + 30 * MINUTE, to: end + 5 * H, change: -sign * noise.uniform(0.25, 0.5) * Math.abs(mover.change) },
  ];
  return {
    ...plan,
    moves,
    oiMoves: [{ from: mover.at - 2 * H, to: mover.at, change: noise.uniform(0.03, 0.1) }],
    fundingMoves: [
      { from: mover.at, to: end + 2 * H, change: sign * noise.uniform(0.0002, 0.0006), curve: { pulse: 0.4 } },
    ],
    depthMoves: [
      { from: mover.at - 5 * MINUTE, to: end + 2 * H, change: -noise.uniform(0.4, 0.7), curve: { pulse: 0.35 } },
    ],
    volMoves: [{ from: mover.at, to: end + H, change: noise.uniform(2, 4), curve: { pulse: 0.35 } }],
    volumeMoves: [{ from: mover.at, to: end + 3 * H, change: noise.uniform(1.5, 3), curve: { pulse: 0.3 } }],
    cascades: [
      {
        from: mover.at,
        to: end,
        side: mover.kind === 'pump' ? 'short' : 'long',
        usd: oiTotal * noise.uniform(0.03, 0.08),
        sizeUsd: sig(Math.max(500, 0.1 * Math.sqrt(oiTotal)), 2),
        oiCut: noise.uniform(0.12, 0.3),
        counter: 0.05,
      },
    ],
  };
}

function busyDay(name: string, start: string, seed: number, drift: number): Plan {
  const noise = new Noise(name, 'movers');
  const generate: GenerateInput = {
    count: GENERATED,
    seed,
    // The long tail of a venue's perpetuals: $4M to a few $B of open interest (the mock's default starts at $0.2M).
    openInterestUsd: { min: 4e6, alpha: 1, max: 3e9 },
    // A drift over the whole file, not only the second day: a market flat for 24 h and then moving would look like
    // volatility from nothing.
    move: { fromSec: 0, toSec: 48 * H, priceChange: drift, openInterestChange: 0.02, depthChange: 0 },
  };
  // The same draws with the rate per hour: Hyperliquid pays hourly, so its funding is an eighth of the 8 h range.
  const hourly: GenerateInput = { ...generate, fundingRate: { min: -0.0003 / 8, max: 0.0006 / 8 } };
  // Movers: generated markets with $15M to $500M of open interest on Binance (alts, not majors), picked by the seed.
  const parsed = generateSpecSchema.parse(generate);
  const candidates = generatedMarketSpecs('binanceusdm', parsed)
    .filter((m) => (m.keyframes[0]?.openInterestUsd ?? 0) >= 15e6 && (m.keyframes[0]?.openInterestUsd ?? 0) <= 500e6)
    .map((m) => m.base);
  if (candidates.length < MOVERS) throw new Error(`${name}: only ${candidates.length} generated markets can move`);
  const picked: string[] = [];
  while (picked.length < MOVERS) {
    const base = candidates[Math.floor(noise.uniform(0, candidates.length))];
    if (base !== undefined && !picked.includes(base)) picked.push(base);
  }
  picked.sort();
  const movers: Mover[] = picked.map((base, i) => {
    const kind = i % 3 === 1 ? 'pump' : 'dump';
    const spanSec = Math.round((noise.uniform(0.5, 4) * H) / 300) * 300;
    return {
      base,
      // Between 01:00 and 21:30 UTC of the second day, ended by then.
      at: Math.round((25 * H + noise.uniform(0, 20.5 * H - spanSec)) / 300) * 300,
      kind,
      change: kind === 'pump' ? noise.uniform(0.2, 0.32) : -noise.uniform(0.22, 0.35),
      spanSec,
    };
  });
  const majorMoves = (k: number): Move[] => [{ from: 24 * H, to: 48 * H, change: drift * k, curve: 'linear' }];
  return {
    name,
    start,
    durationSec: 48 * H,
    sources: [
      'Synthetic, no real day replayed: BTC, ETH, SOL and XRP follow the calm scenarios’ levels (2025 public venue figures); the generated markets use the mock’s generate section (log-uniform prices, Pareto open interest)',
      'Alts moving 20-40% on their own in a day, with liquidations of their own, as happens most days: a shape, not a data set',
      'Liquidation trickle well below the BitMEX 2019-2020 daily average of 3.5% of long and 1.9% of short open interest (BitMEX Research, as summarised in Spiralwatch shared/venues.md)',
    ],
    coins: [
      coin('BTC', { moves: majorMoves(1) }),
      coin('ETH', { moves: majorMoves(1.3) }),
      coin('SOL', { moves: majorMoves(1.5) }),
      coin('XRP', { moves: majorMoves(1.4) }),
      ...movers.map((m) => moverCoin(generate, m.base, m, new Noise(name, 'mover', m.base))),
    ],
    venueExtras: {
      binanceusdm: { generate },
      bybit: { generate },
      okx: { generate, inverseSwaps: ['BTC', 'ETH'] },
      hyperliquid: { generate: hourly },
    },
    description: (b) => {
      const v = 'binanceusdm' as const;
      const moves = movers.map((m) => {
        const move = b.change(m.base, v, m.at, m.at + m.spanSec);
        return `${m.base} (${price(b.price(m.base, v, 0))}) ${m.kind}s ${pct(move, 0)} from ${when(b, m.at, false)} over ${Math.round(m.spanSec / 60)} minutes with ${usd(b.liquidatedUsd({ base: m.base, side: m.kind === 'pump' ? 'short' : 'long', fromSec: m.at, toSec: m.at + m.spanSec }))} of ${m.kind === 'pump' ? 'short' : 'long'} liquidations`;
      });
      return [
        `A busy normal day for alert volume (synthetic, nominal date ${start.slice(0, 10)}), 320 markets: 80 on each of Binance, Bybit, OKX and Hyperliquid, with a 24-hour lead-in of an ordinary market.`,
        `BTC, ETH, SOL and XRP trade an ordinary day (BTC ${pct(b.change('BTC', v, 24 * H, 48 * H))} on the second day); ${GENERATED} generated markets per venue (seed ${seed}) hold still but for a market-wide drift of about ${pct(drift, 0)} over the two days; ${MOVERS} of them are listed again with texture, and on the second day: ${moves.join('; ')}; each retraces part of its move afterwards.`,
        'No expect section: a dumping alt may rightly warn; the lead engineer measures alerts per chat per day on these files.',
      ].join(' ');
    },
  };
}

export const BUSY_DAYS: readonly Plan[] = [
  busyDay('busy-day-1', '2025-11-10T00:00:00Z', 101, 0.012),
  busyDay('busy-day-2', '2025-11-18T00:00:00Z', 202, -0.018),
  busyDay('busy-day-3', '2025-11-27T00:00:00Z', 303, 0.006),
];

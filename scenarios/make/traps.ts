// Calm traps: markets that look alarming to a naive rule but are not spirals. No market may reach warning on any of
// them. Each starts with at least 24 hours of an ordinary market.
import type { CoinPlan, Plan } from './build.js';
import { funding, pct, usd, when } from './describe.js';
import { coin } from './markets.js';
import { HOUR as H, MINUTE, Noise, type Move } from './texture.js';

const VENUES_MD = 'Spiralwatch shared/venues.md';
const SYNTHETIC =
  'Synthetic, no real day replayed: levels (open interest, volume, depth within 1%, long/short ratios) follow the calm scenarios (2025 public venue figures); noise and timing are the generator’s (scenarios/make)';
const TRICKLE_SOURCE =
  'Liquidation trickle well below the BitMEX 2019-2020 daily average of 3.5% of long and 1.9% of short open interest (BitMEX Research, as summarised in Spiralwatch shared/venues.md)';
const FUNDING_SOURCE =
  'Funding at rest near the 0.01% per 8 h interest component (Binance USD-M funding documentation, https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031); Hyperliquid pays hourly, an eighth of it';

// ---------------------------------------------------------------------------------------------------------------
// Funding stretched for days

const FS = 24 * H;
function stretched(name: 'BTC' | 'ETH' | 'SOL' | 'DOGE', target: number, drift: number): CoinPlan {
  return coin(name, {
    moves: [{ from: FS, to: 96 * H, change: drift, curve: 'linear' }],
    fundingMoves: [{ from: FS, to: FS + 12 * H, change: target - 0.0001 }],
    oiMoves: [{ from: FS, to: FS + 12 * H, change: 0.02 }],
    lsMoves: [{ from: FS, to: FS + 12 * H, change: 0.12 }],
  });
}
export const fundingStretched: Plan = {
  name: 'trap-funding-stretched',
  start: '2025-12-01T00:00:00Z',
  durationSec: 96 * H,
  sources: [SYNTHETIC, FUNDING_SOURCE, TRICKLE_SOURCE],
  coins: [
    stretched('BTC', 0.0006, 0.03),
    stretched('ETH', 0.00065, 0.035),
    stretched('SOL', 0.0008, 0.04),
    stretched('DOGE', 0.001, 0.045),
  ],
  expect: {
    outcome: 'calm',
    split: 'tuning',
    trap: 'funding rich for three days on every venue (about 0.06-0.1% per 8 h, 65-110% a year): a rule reading rich funding as a crowded long about to unwind would fire; open interest is steady and nothing unwinds',
  },
  description: (b) => {
    const v = 'binanceusdm' as const;
    return [
      'Funding stretched for days, no crash (synthetic). A day of an ordinary market from 2025-12-01 00:00 UTC with funding near 0.01% per 8 h.',
      `From ${when(b, FS)} funding climbs over twelve hours and stays there for three days: BTC about ${funding(b.funding8h('BTC', v, 60 * H))}, ETH ${funding(b.funding8h('ETH', v, 60 * H))}, SOL ${funding(b.funding8h('SOL', v, 60 * H))}, DOGE ${funding(b.funding8h('DOGE', v, 60 * H))} per 8 h (Hyperliquid the same per hour / 8), with its ordinary wobble. Open interest in coins steady (+2%), long/short account ratios up about 12%, prices ranging with their ordinary noise on a slight built-in upward slope of 3-4.5% (BTC ${pct(b.change('BTC', v, FS, 96 * H))}, DOGE ${pct(b.change('DOGE', v, FS, 96 * H))} over the three days); depth, volume rhythm and the trickle of liquidations on both sides as on any day. No market may warn.`,
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// A choppy high-volatility range

const CH = 24 * H;
const CH_END = 60 * H;
/** Alternating legs around the start level: each swing 4-6% (BTC), 2-5 hours long, no trend. */
function chopLegs(): { from: number; to: number; level: number }[] {
  const noise = new Noise('trap-choppy-range', 'legs');
  const legs: { from: number; to: number; level: number }[] = [];
  let t = CH;
  let sign = noise.uniform() < 0.5 ? 1 : -1;
  while (t < CH_END - 2 * H) {
    const length = Math.round(noise.uniform(2, 5) * 4) * 900;
    const to = Math.min(CH_END - H, t + length);
    legs.push({ from: t, to, level: sign * noise.uniform(0.02, 0.03) });
    sign = -sign;
    t = to;
  }
  legs.push({ from: t, to: CH_END, level: 0 });
  return legs;
}
const LEGS = chopLegs();
function chopCoin(name: 'BTC' | 'ETH' | 'SOL' | 'XRP', amplitude: number, liqPerLeg: number, size: number): CoinPlan {
  const moves: Move[] = [];
  const cascades: NonNullable<CoinPlan['cascades']> = [];
  let level = 0;
  for (const leg of LEGS) {
    const next = leg.level * amplitude;
    moves.push({ from: leg.from, to: leg.to, change: Math.exp(next - level) - 1, curve: 'smooth' });
    cascades.push({
      from: leg.from,
      to: leg.to,
      side: next < level ? 'long' : 'short',
      usd: liqPerLeg * (Math.abs(next - level) / (0.05 * amplitude)),
      sizeUsd: size,
      counter: 0.1,
    });
    level = next;
  }
  return coin(name, {
    moves,
    cascades,
    volMoves: [{ from: CH - H, to: CH_END + H, change: 0.7, curve: { pulse: 0.5 } }],
    depthMoves: [{ from: CH - H, to: CH_END + H, change: -0.15, curve: { pulse: 0.5 } }],
  });
}
export const choppyRange: Plan = {
  name: 'trap-choppy-range',
  start: '2025-10-28T00:00:00Z',
  durationSec: 66 * H,
  sources: [SYNTHETIC, TRICKLE_SOURCE],
  coins: [
    chopCoin('BTC', 1, 10e6, 12_000),
    chopCoin('ETH', 1.3, 8e6, 10_000),
    chopCoin('SOL', 1.5, 4e6, 5000),
    chopCoin('XRP', 1.4, 3e6, 4000),
  ],
  expect: {
    outcome: 'calm',
    split: 'holdout',
    trap: 'swings of 4-6% within hours (alts more), both ways, with liquidations on both sides and somewhat thinner books: a rule on the size of moves or on liquidation counts alone would fire; open interest stays flat and there is no trend',
  },
  description: (b) => {
    const v = 'binanceusdm' as const;
    const swings = LEGS.slice(0, -1).map((leg) => pct(b.change('BTC', v, leg.from, leg.to), 1));
    return [
      'A choppy high-volatility range, no trend (synthetic). A day of an ordinary market from 2025-10-28 00:00 UTC.',
      `From ${when(b, CH)} for 36 hours the market swings both ways in legs of two to five hours: BTC legs ${swings.join(', ')} (ETH about 1.3x, SOL 1.5x, XRP 1.4x), ending where it started (BTC ${pct(b.change('BTC', v, CH, CH_END))} over the range); volatility about 1.7x the calm level, depth within 1% about 15% thinner, open interest flat (only its wobble), long liquidations on the down legs and short ones on the up legs (${usd(b.liquidatedUsd({ fromSec: CH, toSec: CH_END }))} in all on Binance, Bybit and OKX over 36 hours, both sides). Six calm hours follow. No market may warn.`,
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// An orderly rally with rising open interest

const R = 24 * H;
const R_END = 56 * H;
function rallyCoin(name: 'BTC' | 'ETH' | 'SOL' | 'LINK', rise: number, liqUsd: number, size: number): CoinPlan {
  return coin(name, {
    moves: [{ from: R, to: R_END, change: rise, curve: 'linear' }],
    oiMoves: [{ from: R, to: R_END, change: 0.12, curve: 'linear' }],
    fundingMoves: [{ from: R, to: R_END, change: 0.00015 }],
    lsMoves: [{ from: R, to: R_END, change: -0.08 }],
    cascades: [{ from: R, to: R_END, side: 'short', usd: liqUsd, sizeUsd: size }],
  });
}
export const orderlyRally: Plan = {
  name: 'trap-orderly-rally',
  start: '2025-11-10T00:00:00Z',
  durationSec: 60 * H,
  sources: [SYNTHETIC, FUNDING_SOURCE, TRICKLE_SOURCE],
  coins: [
    rallyCoin('BTC', 0.12, 20e6, 12_000),
    rallyCoin('ETH', 0.14, 15e6, 10_000),
    rallyCoin('SOL', 0.16, 8e6, 5000),
    rallyCoin('LINK', 0.15, 3e6, 3000),
  ],
  expect: {
    outcome: 'calm',
    split: 'tuning',
    trap: 'prices up 12-16% over 32 hours with open interest rising about a quarter in USD and funding up: a rule that reads rising leverage as danger would fire; the move is orderly, funding only moderate, liquidations few',
  },
  description: (b) => {
    const v = 'binanceusdm' as const;
    return [
      'An orderly rally with rising open interest (synthetic). A day of an ordinary market from 2025-11-10 00:00 UTC.',
      `From ${when(b, R)} for 32 hours prices rise steadily with ordinary noise: BTC ${pct(b.change('BTC', v, R, R_END))}, ETH ${pct(b.change('ETH', v, R, R_END))}, SOL ${pct(b.change('SOL', v, R, R_END))}, LINK ${pct(b.change('LINK', v, R, R_END))}; open interest in coins +12% (BTC on Binance ${usd(b.openInterest('BTC', v, R))} to ${usd(b.openInterest('BTC', v, R_END))} in USD), funding up from about 0.01% to ${funding(b.funding8h('BTC', v, R_END - H))} per 8 h, a few short liquidations on top of the trickle (${usd(b.liquidatedUsd({ side: 'short', fromSec: R, toSec: R_END }))} of shorts over the rally on Binance, Bybit and OKX). Four quiet hours at the top. No market may warn.`,
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Funding flips sign at a settlement

const FL = 32 * H; // 2025-10-15 08:00 UTC, a settlement on every interval
function flipCoin(name: 'BTC' | 'ETH' | 'SOL' | 'XRP', before: number, after: number): CoinPlan {
  return coin(name, {
    fundingMoves: [
      { from: 24 * H, to: FL, change: before - 0.0001, curve: 'linear' },
      { from: FL, to: FL + MINUTE, change: after - before, curve: 'step' },
      { from: FL, to: FL + 8 * H, change: 0.0001 - after, curve: 'linear' },
    ],
  });
}
export const fundingFlip: Plan = {
  name: 'trap-funding-flip',
  start: '2025-10-14T00:00:00Z',
  durationSec: 48 * H,
  sources: [
    SYNTHETIC,
    FUNDING_SOURCE,
    'The rate a venue shows is the running estimate for the next settlement; at a settlement a new period starts and the estimate can jump (here it changes sign)',
    TRICKLE_SOURCE,
  ],
  coins: [
    flipCoin('BTC', 0.00016, -0.0001),
    flipCoin('ETH', 0.00017, -0.00011),
    flipCoin('SOL', 0.0002, -0.00015),
    flipCoin('XRP', 0.00018, -0.00012),
  ],
  fine: [[FL - H, FL + H]],
  expect: {
    outcome: 'calm',
    split: 'tuning',
    trap: 'funding changes sign within a minute at the 08:00 UTC settlement on every venue and coin: a rule on funding changes would see a large jump; prices, open interest and depth stay calm',
  },
  description: (b) => {
    const v = 'binanceusdm' as const;
    return [
      'A funding flip at a settlement, price calm (synthetic). A day of an ordinary market from 2025-10-14 00:00 UTC.',
      `Funding drifts up from about 0.01% to ${funding(b.funding8h('BTC', v, FL - MINUTE))} per 8 h (BTC; SOL ${funding(b.funding8h('SOL', v, FL - MINUTE))}) by the settlement at ${when(b, FL)}, where it jumps within one minute to ${funding(b.funding8h('BTC', v, FL + MINUTE))} (SOL ${funding(b.funding8h('SOL', v, FL + MINUTE))}) on Binance, Bybit and OKX, and on Hyperliquid by the same amount per hour / 8; over the next eight hours it drifts back to about 0.01%. Price, open interest and depth have their ordinary texture (BTC ${pct(b.change('BTC', v, FL - H, FL + H))} over the two hours around it). No market may warn.`,
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// One huge liquidation print on a calm day

const P = 38 * H + 21 * MINUTE + 7; // 2025-09-17 14:21:07 UTC
const PRINT_USD = 38e6;
export const hugePrint: Plan = {
  name: 'trap-huge-print',
  start: '2025-09-16T00:00:00Z',
  durationSec: 48 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}: Binance pushes the latest liquidation per symbol per second, so a single print is delivered whole`,
    TRICKLE_SOURCE,
  ],
  coins: [
    coin('BTC', {
      moves: [{ from: P - 7, to: P - 7 + 12 * MINUTE, change: -0.003, curve: { pulse: 0.12 } }],
      venueMoves: { binanceusdm: [{ from: P - 7, to: P - 7 + 8 * MINUTE, change: -0.0018, curve: { pulse: 0.1 } }] },
      venueDepthMoves: {
        binanceusdm: [{ from: P - 7, to: P - 7 + 10 * MINUTE, change: -0.25, curve: { pulse: 0.1 } }],
      },
      prints: [{ venue: 'binanceusdm', atSec: P, side: 'long', sizeUsd: PRINT_USD }],
    }),
    coin('ETH'),
    coin('SOL'),
    coin('XRP'),
  ],
  fine: [[P - H, P + H]],
  expect: {
    outcome: 'calm',
    split: 'holdout',
    trap: 'a single $38M long liquidation on Binance BTC, far above the market’s own liquidation baseline: a rule on liquidation USD per minute would fire; nothing follows it',
  },
  description: (b) => {
    return [
      'One huge liquidation print on a calm day (synthetic). A day and a half of an ordinary market from 2025-09-16 00:00 UTC.',
      `At ${when(b, P)} (14:21:07) one long position of ${usd(PRINT_USD)} is liquidated on Binance BTCUSDT; the price there dips ${pct(b.low('BTC', 'binanceusdm', P - 7, P + 10 * MINUTE).price / b.price('BTC', 'binanceusdm', P - 7) - 1, 2)} (elsewhere about -0.3%) and is back within about ten minutes, Binance BTC depth within 1% dips a quarter for a few minutes. No other liquidation beyond the ordinary trickle, no move in open interest or funding. No market may warn.`,
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// A venue outage gap

const OUT_FROM = 34 * H + 40 * MINUTE; // 2025-11-05 10:40 UTC
const OUT_TO = 35 * H + 2 * MINUTE; // 11:02 UTC, 22 minutes
export const venueOutage: Plan = {
  name: 'trap-venue-outage',
  start: '2025-11-04T00:00:00Z',
  durationSec: 48 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}: streams go quiet or drop without closing; OKX has been reported to replay a backlog of liquidations on connect`,
    TRICKLE_SOURCE,
  ],
  coins: [
    coin('BTC', {
      moves: [{ from: OUT_FROM - 5 * MINUTE, to: OUT_TO + 3 * H, change: -0.009, curve: { pulse: 0.15 } }],
    }),
    coin('ETH', {
      moves: [{ from: OUT_FROM - 5 * MINUTE, to: OUT_TO + 3 * H, change: -0.012, curve: { pulse: 0.15 } }],
    }),
    coin('SOL', {
      moves: [{ from: OUT_FROM - 5 * MINUTE, to: OUT_TO + 3 * H, change: -0.015, curve: { pulse: 0.15 } }],
    }),
    coin('XRP', {
      moves: [{ from: OUT_FROM - 5 * MINUTE, to: OUT_TO + 3 * H, change: -0.014, curve: { pulse: 0.15 } }],
    }),
  ],
  stale: [{ venue: 'okx', from: OUT_FROM, to: OUT_TO }],
  faults: [
    { venue: 'okx', kind: 'status', status: 503, fromSec: OUT_FROM, toSec: OUT_TO },
    { venue: 'okx', kind: 'dropSockets', fromSec: OUT_FROM, toSec: OUT_TO },
  ],
  venueExtras: { okx: { replayOnSubscribe: 20 } },
  fine: [[OUT_FROM - H, OUT_TO + H]],
  expect: {
    outcome: 'calm',
    split: 'tuning',
    trap: 'OKX is unreachable for 22 minutes (503 and dropped sockets, or, in a replay without faults, frozen values and a silent liquidation stream), then its prices, open interest and volume catch up in one step and its liquidation stream resumes (with a replayed backlog when the sockets really dropped): gaps and catch-up steps are not a spiral',
  },
  description: (b) => {
    return [
      'A venue outage gap on a calm day (synthetic). A day and a half of an ordinary market from 2025-11-04 00:00 UTC.',
      `From ${when(b, OUT_FROM)} to ${when(b, OUT_TO, false)} (22 minutes) OKX is down: the scenario's faults answer 503 on every OKX route and drop its sockets (refusing upgrades) for the window, and OKX replays its last 20 liquidations on each resubscription. Replays drop scripted faults unless asked (src/replay/replay.ts option faults: true; the replay and backtest commands do not ask), so the gap is also in the data: OKX's keyframes hold their 10:40 values through the window and it scripts no liquidations in it; at 11:02 every OKX series steps to where the market has gone meanwhile. Meanwhile the market dips a little on the other venues (BTC ${pct(b.change('BTC', 'binanceusdm', OUT_FROM, OUT_TO))} over the gap, back within three hours). No market may warn.`,
    ].join(' ');
  },
};

export const TRAPS: readonly Plan[] = [
  fundingStretched,
  choppyRange,
  orderlyRally,
  fundingFlip,
  hugePrint,
  venueOutage,
];

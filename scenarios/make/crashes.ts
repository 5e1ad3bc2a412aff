// The crash shapes. Each starts with at least 24 hours of an ordinary market (the risk engine's norms use 24 h
// windows); offsets are seconds from the scenario's start. Deadlines are not written here: scenarios/make/expect.ts
// derives them from the liquidations and prices these plans produce.
import type { Plan } from './build.js';
import { STREAMED } from './build.js';
import { hitsText, pct, price, usd, venueName, when, funding } from './describe.js';
import { coin } from './markets.js';
import { HOUR as H, MINUTE } from './texture.js';

const VENUES_MD = 'Spiralwatch shared/venues.md';
const TRICKLE_SOURCE =
  'Calm liquidation trickle well below the BitMEX 2019-2020 daily average of 3.5% of long and 1.9% of short open interest (BitMEX Research, as summarised in Spiralwatch shared/venues.md)';
const SYNTHETIC =
  'Synthetic shape, no real day replayed: levels (open interest, volume, depth within 1%, long/short ratios) follow the calm scenarios (2025 public venue figures); the noise, the intraday timing and the per-venue split are the generator’s (scenarios/make)';

// ---------------------------------------------------------------------------------------------------------------
// 1. Two legs after 2020-03-12

const T1 = 24 * H; // 2020-03-12 06:00 UTC
const T2 = 43 * H; // 2020-03-13 01:00 UTC
export const twoLeg2020: Plan = {
  name: 'crash-2020-03-12',
  start: '2020-03-11T06:00:00Z',
  durationSec: 47 * H,
  sources: [
    `${VENUES_MD}, reference events: about $1.2B liquidated on 2020-03-12`,
    'LedgerPrime research, "Crypto\'s Black Thursday: the Market Crash of March 2020", https://www.research.ledgerprime.com/p/cryptos-black-thursday-the-market: two distinct legs; BitMEX perpetual at $7,353 at 10:00 UTC, a first low of $5,678 around 10:45 with over $700M of BitMEX perpetuals liquidated, $3,978 by 02:00 UTC the next day (low $3,596)',
    'Coin Metrics (March 23, 2020 report) as quoted in https://modernconsensus.com/cryptocurrencies/bitcoin/bitmex-behind-bitcoin-black-thursday-bounce/: in the morning BTC $7,300 to $5,690 in an hour, at night $5,800 to $3,900 in about three hours',
    'BitMEX statement quoted in https://first-bitcoin.com/bitmex-denies-it-caused-the-bitcoin-price-freefall-to-3-7k-after-going-offline/: requests delayed between 02:16 and 02:40 UTC on 13 March; the fall stopped and BTC rebounded as BitMEX went quiet (https://www.cryptoiqtrading.com/bitmex-liquidates-1-1-billion-of-positions-in-24-hours-and-temporarily-goes-offline/: BitMEX liquidated $1.1B in 24 h)',
    'Shape as the team specified it (about -20% over six hours, a pause, then -15% in one hour): gentler and slower than the real day, whose legs were -22% in about an hour and -33% in about three; 2020 venue sizes (open interest, depth) are rough approximations, BitMEX (where most of the $1.2B was liquidated) is not modelled, and the modelled markets carry about a quarter of that total',
    TRICKLE_SOURCE,
  ],
  coins: [
    coin('BTC', {
      on: STREAMED,
      price: 7950,
      scale: 0.05,
      profile: { volumeToOi: 3, depthToOi: 0.008, vol: 0.7 },
      moves: [
        { from: T1, to: T1 + 6 * H, change: -0.2, curve: { mode: 0.75, k: 5 } },
        { from: T1 + 6.5 * H, to: T1 + 10 * H, change: 0.03 },
        { from: T2, to: T2 + H, change: -0.15, curve: { mode: 0.6, k: 6 } },
        { from: T2 + 1.25 * H, to: T2 + 2.25 * H, change: 0.09 },
      ],
      oiMoves: [{ from: T1 + 7 * H, to: T2, change: 0.04 }],
      fundingMoves: [
        { from: T1, to: T1 + 6 * H, change: -0.00025 },
        { from: T2, to: T2 + H, change: -0.0002 },
        { from: T2 + H, to: T2 + 4 * H, change: 0.0002 },
      ],
      depthMoves: [
        { from: T1, to: T1 + 9 * H, change: -0.5, curve: { pulse: 0.65 } },
        { from: T2 - 0.5 * H, to: T2 + 3 * H, change: -0.75, curve: { pulse: 0.45 } },
      ],
      cascades: [
        { from: T1, to: T1 + 6 * H, side: 'long', usd: 110e6, sizeUsd: 40_000, oiCut: 0.22, counter: 0.04 },
        { from: T2, to: T2 + H, side: 'long', usd: 120e6, sizeUsd: 40_000, oiCut: 0.2, counter: 0.03 },
        { from: T2 + 1.25 * H, to: T2 + 2.25 * H, side: 'short', usd: 12e6, sizeUsd: 20_000 },
      ],
    }),
    coin('ETH', {
      on: STREAMED,
      price: 195,
      scale: 0.014,
      profile: { volumeToOi: 3, depthToOi: 0.008, vol: 0.9 },
      moves: [
        { from: T1, to: T1 + 6 * H, change: -0.25, curve: { mode: 0.75, k: 5 } },
        { from: T1 + 6.5 * H, to: T1 + 10 * H, change: 0.03 },
        { from: T2, to: T2 + H, change: -0.18, curve: { mode: 0.6, k: 6 } },
        { from: T2 + 1.25 * H, to: T2 + 2.25 * H, change: 0.1 },
      ],
      fundingMoves: [
        { from: T1, to: T1 + 6 * H, change: -0.0003 },
        { from: T2, to: T2 + H, change: -0.0002 },
        { from: T2 + H, to: T2 + 4 * H, change: 0.0002 },
      ],
      depthMoves: [
        { from: T1, to: T1 + 9 * H, change: -0.55, curve: { pulse: 0.65 } },
        { from: T2 - 0.5 * H, to: T2 + 3 * H, change: -0.75, curve: { pulse: 0.45 } },
      ],
      cascades: [
        { from: T1, to: T1 + 6 * H, side: 'long', usd: 30e6, sizeUsd: 15_000, oiCut: 0.25, counter: 0.04 },
        { from: T2, to: T2 + H, side: 'long', usd: 32e6, sizeUsd: 15_000, oiCut: 0.22, counter: 0.03 },
      ],
    }),
    coin('XRP', {
      on: STREAMED,
      price: 0.205,
      scale: 0.03,
      profile: { volumeToOi: 3, depthToOi: 0.009, vol: 0.9 },
      moves: [
        { from: T1, to: T1 + 6 * H, change: -0.22, curve: { mode: 0.75, k: 5 } },
        { from: T2, to: T2 + H, change: -0.17, curve: { mode: 0.6, k: 6 } },
        { from: T2 + 1.25 * H, to: T2 + 2.25 * H, change: 0.08 },
      ],
      depthMoves: [
        { from: T1, to: T1 + 9 * H, change: -0.55, curve: { pulse: 0.65 } },
        { from: T2 - 0.5 * H, to: T2 + 3 * H, change: -0.75, curve: { pulse: 0.45 } },
      ],
      cascades: [
        { from: T1, to: T1 + 6 * H, side: 'long', usd: 10e6, sizeUsd: 6000, oiCut: 0.22 },
        { from: T2, to: T2 + H, side: 'long', usd: 10e6, sizeUsd: 6000, oiCut: 0.2 },
      ],
    }),
    coin('LINK', {
      on: STREAMED,
      price: 4.1,
      scale: 0.07,
      profile: { volumeToOi: 3, depthToOi: 0.009, vol: 1.0, fourHourly: false },
      moves: [
        { from: T1, to: T1 + 6 * H, change: -0.28, curve: { mode: 0.75, k: 5 } },
        { from: T2, to: T2 + H, change: -0.2, curve: { mode: 0.6, k: 6 } },
        { from: T2 + 1.25 * H, to: T2 + 2.25 * H, change: 0.1 },
      ],
      depthMoves: [
        { from: T1, to: T1 + 9 * H, change: -0.6, curve: { pulse: 0.65 } },
        { from: T2 - 0.5 * H, to: T2 + 3 * H, change: -0.8, curve: { pulse: 0.45 } },
      ],
      cascades: [
        { from: T1, to: T1 + 6 * H, side: 'long', usd: 8e6, sizeUsd: 5000, oiCut: 0.25 },
        { from: T2, to: T2 + H, side: 'long', usd: 8e6, sizeUsd: 5000, oiCut: 0.22 },
      ],
    }),
  ],
  marketVolMoves: [
    { from: T1, to: T1 + 7 * H, change: 2.5, curve: { pulse: 0.75 } },
    { from: T1 + 7 * H, to: T2, change: 0.8, curve: { pulse: 0.3 } },
    { from: T2 - 0.25 * H, to: T2 + 3 * H, change: 4, curve: { pulse: 0.3 } },
  ],
  fine: [
    [T1 - H, T1 + 8 * H],
    [T2 - H, T2 + 4 * H],
  ],
  expect: {
    outcome: 'spiral',
    split: 'tuning',
    hits: [{ base: 'BTC' }, { base: 'ETH' }, { base: 'XRP' }, { base: 'LINK' }],
  },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    const leg1 = b.low('BTC', v, T1, T1 + 7 * H);
    const leg2 = b.low('BTC', v, T2, T2 + 1.5 * H);
    return [
      'Black Thursday in two legs (2020-03-12/13), synthetic, on Binance, Bybit and OKX (no Hyperliquid in 2020) with BTC, ETH, XRP and LINK (SOL was not yet listed).',
      `A day of an ordinary market from 2020-03-11 06:00 UTC; the first leg from ${when(b, T1)}: BTC ${price(b.price('BTC', v, T1))} to ${price(leg1.price)} (${pct(leg1.price / b.price('BTC', v, T1) - 1)}) over six hours, accelerating into its last two hours, ETH ${pct(b.change('ETH', v, T1, T1 + 6 * H))}, LINK ${pct(b.change('LINK', v, T1, T1 + 6 * H))}; funding from about 0.01% to negative, depth within 1% down to about a third.`,
      `A thirteen-hour pause with a small bounce, then the second leg from ${when(b, T2)}: BTC ${price(b.price('BTC', v, T2))} to ${price(leg2.price)} (${pct(leg2.price / b.price('BTC', v, T2) - 1)}) in one hour, books within 1% at about a fifth of normal, and a rebound of about 9% from 02:15 UTC (as BitMEX went quiet).`,
      `Open interest falls about a fifth in each leg; scripted long liquidations ${usd(b.liquidatedUsd({ side: 'long', fromSec: T1, toSec: T1 + 7 * H }))} in leg one and ${usd(b.liquidatedUsd({ side: 'long', fromSec: T2, toSec: T2 + 2 * H }))} in leg two over the twelve markets, each minute's share following how far the price fell in it.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 2. Leverage piles up for a day into a grind lower, then unwinds

const G = 48 * H; // 2025-11-20 00:00 UTC
const growth = { BTC: 1, ETH: 1.25, SOL: 1.45, DOGE: 1.7 } as const;
function grindCoin(name: keyof typeof growth, liqUsd: number, size: number) {
  const k = growth[name];
  return coin(name, {
    moves: [
      { from: 24 * H, to: G, change: -0.04 * k, curve: 'linear' },
      { from: G, to: G + 2 * H, change: -0.055 * k, curve: { mode: 0.7, k: 5 } },
      { from: G + 2 * H, to: G + 3.5 * H, change: -0.09 * k, curve: { mode: 0.5, k: 7 } },
      { from: G + 4 * H, to: G + 7 * H, change: 0.03 * k },
    ],
    oiMoves: [{ from: 24 * H, to: G, change: 0.14 + 0.05 * k, curve: 'linear' }],
    fundingMoves: [
      { from: 24 * H, to: G, change: 0.00015 + 0.0001 * k, curve: 'linear' },
      { from: G, to: G + 3.5 * H, change: -0.00045 - 0.00012 * k },
    ],
    lsMoves: [
      { from: 24 * H, to: G, change: 0.15 },
      { from: G, to: G + 4 * H, change: -0.12 },
    ],
    depthMoves: [{ from: G - 0.5 * H, to: G + 6 * H, change: -0.6, curve: { pulse: 0.5 } }],
    volMoves: [
      { from: 24 * H, to: G, change: 0.3 },
      { from: G, to: G + 6 * H, change: 2.5, curve: { pulse: 0.5 } },
    ],
    cascades: [
      { from: 24 * H, to: G, side: 'long', usd: liqUsd * 0.06, sizeUsd: size / 3 },
      { from: G, to: G + 2 * H, side: 'long', usd: liqUsd * 0.35, sizeUsd: size, oiCut: 0.1 },
      { from: G + 2 * H, to: G + 3.5 * H, side: 'long', usd: liqUsd * 0.65, sizeUsd: size, oiCut: 0.22, counter: 0.03 },
    ],
  });
}
export const leverageGrind: Plan = {
  name: 'crash-leverage-grind',
  start: '2025-11-18T00:00:00Z',
  durationSec: 56 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}: liquidation streams sampled one per symbol per second on Binance and OKX, all on Bybit, none on Hyperliquid; the BitMEX study's liquidated traders averaged about 60x`,
    TRICKLE_SOURCE,
  ],
  coins: [
    grindCoin('BTC', 900e6, 90_000),
    grindCoin('ETH', 600e6, 60_000),
    grindCoin('SOL', 250e6, 30_000),
    grindCoin('DOGE', 150e6, 15_000),
  ],
  fine: [[G - H, G + 6 * H]],
  expect: {
    outcome: 'spiral',
    split: 'tuning',
    hits: [{ base: 'BTC' }, { base: 'ETH' }, { base: 'SOL' }, { base: 'DOGE' }],
  },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    return [
      'Leverage piling up into a slow grind lower, then the unwind (synthetic). A day of an ordinary market from 2025-11-18 00:00 UTC.',
      `From ${when(b, 24 * H)} for 24 hours open interest in coins rises (BTC on Binance ${usd(b.openInterest('BTC', v, 24 * H))} to ${usd(b.openInterest('BTC', v, G))} in USD, alts more) while the price grinds lower (BTC ${pct(b.change('BTC', v, 24 * H, G))}, DOGE ${pct(b.change('DOGE', v, 24 * H, G))}), funding climbs from about 0.01% to ${funding(b.funding8h('BTC', v, G - H))} per 8 h on BTC (${funding(b.funding8h('DOGE', v, G - H))} DOGE) and the long/short account ratio up 15%: longs buying the dip with leverage.`,
      `The unwind from ${when(b, G)} over three and a half hours, in two pushes (the harder one from ${when(b, G + 2 * H, false)}): BTC ${pct(b.change('BTC', v, G, G + 3.5 * H))}, ETH ${pct(b.change('ETH', v, G, G + 3.5 * H))}, SOL ${pct(b.change('SOL', v, G, G + 3.5 * H))}, DOGE ${pct(b.change('DOGE', v, G, G + 3.5 * H))}; open interest in coins down about 30%, depth within 1% down to a third or less, funding negative; scripted long liquidations on Binance, Bybit and OKX ${usd(b.liquidatedUsd({ side: 'long', fromSec: G, toSec: G + 4 * H }))}. A small bounce afterwards.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 3. Flash crash

const F = 30 * H + 42 * MINUTE; // 2025-12-04 14:42 UTC
function flashCoin(name: 'BTC' | 'ETH' | 'SOL' | 'AVAX', drop: number, liqUsd: number, size: number, cut: number) {
  return coin(name, {
    moves: [
      { from: F, to: F + 20 * MINUTE, change: drop, curve: { mode: 0.55, k: 8 } },
      { from: F + 20 * MINUTE, to: F + 60 * MINUTE, change: -drop * 0.42 },
    ],
    fundingMoves: [{ from: F, to: F + 30 * MINUTE, change: -0.0002 + drop * 0.001 }],
    depthMoves: [{ from: F - MINUTE, to: F + 60 * MINUTE, change: -0.9, curve: { pulse: 0.3 } }],
    volMoves: [{ from: F - 5 * MINUTE, to: F + 90 * MINUTE, change: 5, curve: { pulse: 0.2 } }],
    cascades: [
      { from: F, to: F + 20 * MINUTE, side: 'long', usd: liqUsd, sizeUsd: size, oiCut: cut, counter: 0.03 },
      { from: F + 20 * MINUTE, to: F + 60 * MINUTE, side: 'short', usd: liqUsd * 0.06, sizeUsd: size * 0.5 },
    ],
  });
}
export const flashCrash: Plan = {
  name: 'crash-flash',
  start: '2025-12-03T08:00:00Z',
  durationSec: 34 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}, reference events: on 2025-10-10 BTC fell about 14% with the bulk within about 20 minutes and books near the mid nearly empty for minutes (the speed and depth taken here; this is not that day)`,
    TRICKLE_SOURCE,
  ],
  coins: [
    flashCoin('BTC', -0.14, 700e6, 100_000, 0.22),
    flashCoin('ETH', -0.17, 450e6, 60_000, 0.27),
    flashCoin('SOL', -0.22, 250e6, 30_000, 0.32),
    flashCoin('AVAX', -0.28, 80e6, 10_000, 0.38),
  ],
  fine: [[F - H, F + 3 * H]],
  expect: {
    outcome: 'spiral',
    split: 'holdout',
    hits: [{ base: 'BTC' }, { base: 'ETH' }, { base: 'SOL' }, { base: 'AVAX' }],
  },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    const low = b.low('BTC', v, F, F + 30 * MINUTE);
    return [
      'A flash crash in the US session (synthetic). 30 hours of an ordinary market from 2025-12-03 08:00 UTC.',
      `From ${when(b, F)}: BTC ${price(b.price('BTC', v, F))} to ${price(low.price)} (${pct(low.price / b.price('BTC', v, F) - 1)}) in twenty minutes, ETH ${pct(b.change('ETH', v, F, F + 20 * MINUTE))}, SOL ${pct(b.change('SOL', v, F, F + 20 * MINUTE))}, AVAX ${pct(b.change('AVAX', v, F, F + 20 * MINUTE))}; open interest in coins down a fifth (BTC) to nearly two fifths (AVAX), depth within 1% down to about a tenth of normal or less at the worst, funding negative.`,
      `Scripted long liquidations ${usd(b.liquidatedUsd({ side: 'long', fromSec: F, toSec: F + 20 * MINUTE }))} on Binance, Bybit and OKX in those twenty minutes; a 40% retracement over the next forty with some short liquidations; three hours of aftermath.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 4. Short squeeze after a day of crowded shorts

const S = 48 * H; // 2025-08-05 13:30 UTC
function squeezeCoin(
  name: 'BTC' | 'ETH' | 'SOL' | 'DOGE',
  rise: number,
  crowd: number,
  liqUsd: number,
  size: number,
  cut: number,
) {
  return coin(name, {
    moves: [
      { from: 24 * H, to: S, change: -0.035 * crowd, curve: 'linear' },
      { from: S, to: S + 2 * H, change: rise, curve: { mode: 0.45, k: 6 } },
      { from: S + 3 * H, to: S + 6 * H, change: -rise * 0.3 },
    ],
    oiMoves: [
      { from: 24 * H, to: S, change: 0.25 * crowd, curve: 'linear' },
      { from: S + 2 * H, to: S + 6 * H, change: 0.04 * crowd },
    ],
    fundingMoves: [
      { from: 24 * H, to: S, change: -0.0006 * crowd, curve: 'linear' },
      { from: S, to: S + 2 * H, change: 0.0008 * crowd },
    ],
    lsMoves: [
      { from: 24 * H, to: S, change: -0.55 * crowd },
      { from: S, to: S + 3 * H, change: 0.6 * crowd },
    ],
    depthMoves: [
      { from: S - 0.5 * H, to: S + 4 * H, change: -0.55 * Math.min(1, crowd + 0.2), curve: { pulse: 0.45 } },
    ],
    volMoves: [{ from: S, to: S + 4 * H, change: 2.5 * Math.min(1, crowd + 0.3), curve: { pulse: 0.4 } }],
    cascades: [
      { from: 24 * H, to: S, side: 'short', usd: liqUsd * 0.04, sizeUsd: size / 4 },
      { from: S, to: S + 2 * H, side: 'short', usd: liqUsd, sizeUsd: size, oiCut: cut, counter: 0.04 },
      { from: S + 3 * H, to: S + 6 * H, side: 'long', usd: liqUsd * 0.08, sizeUsd: size / 2 },
    ],
  });
}
export const shortSqueeze: Plan = {
  name: 'squeeze-short',
  start: '2025-08-03T13:30:00Z',
  durationSec: 56 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}: Bybit streams every liquidation, Binance and OKX one per symbol per second`,
    TRICKLE_SOURCE,
  ],
  coins: [
    squeezeCoin('BTC', 0.04, 0.15, 120e6, 40_000, 0.04),
    squeezeCoin('ETH', 0.06, 0.25, 140e6, 30_000, 0.06),
    squeezeCoin('SOL', 0.18, 1, 300e6, 25_000, 0.3),
    squeezeCoin('DOGE', 0.25, 1.3, 180e6, 12_000, 0.35),
  ],
  fine: [[S - H, S + 6 * H]],
  expect: { outcome: 'spiral', split: 'tuning', hits: [{ base: 'SOL' }, { base: 'DOGE' }] },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    return [
      'A short squeeze (synthetic): liquidations of shorts drive the price up. A day of an ordinary market from 2025-08-03 13:30 UTC.',
      `From ${when(b, 24 * H)} shorts crowd into SOL and DOGE: funding falls to ${funding(b.funding8h('SOL', v, S - H))} (SOL) and ${funding(b.funding8h('DOGE', v, S - H))} (DOGE) per 8 h, open interest in coins rises a quarter to a third, the long/short account ratio falls by about half, the price drifts lower (SOL ${pct(b.change('SOL', v, 24 * H, S))}).`,
      `From ${when(b, S)} for two hours: SOL ${pct(b.change('SOL', v, S, S + 2 * H))}, DOGE ${pct(b.change('DOGE', v, S, S + 2 * H))}, with ETH ${pct(b.change('ETH', v, S, S + 2 * H))} and BTC ${pct(b.change('BTC', v, S, S + 2 * H))} following mildly; asks within 1% thin out, funding turns positive, open interest in SOL and DOGE down about a third; scripted short liquidations ${usd(b.liquidatedUsd({ side: 'short', fromSec: S, toSec: S + 2 * H }))} (SOL ${usd(b.liquidatedUsd({ base: 'SOL', side: 'short', fromSec: S, toSec: S + 2 * H }))}, DOGE ${usd(b.liquidatedUsd({ base: 'DOGE', side: 'short', fromSec: S, toSec: S + 2 * H }))}). A third of the move retraces over the next hours. BTC and ETH are neither expected to warn nor required to stay quiet.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 5. Alts crash, BTC and ETH flat

const A = 30 * H; // 2025-10-22 06:00 UTC
export const altOnly: Plan = {
  name: 'crash-alt-only',
  start: '2025-10-21T00:00:00Z',
  durationSec: 36 * H,
  sources: [SYNTHETIC, `${VENUES_MD}: liquidation stream sampling per venue`, TRICKLE_SOURCE],
  coins: [
    coin('BTC', {
      price: 108_000,
      moves: [{ from: A, to: A + 2 * H, change: -0.006, curve: { pulse: 0.5 } }],
    }),
    coin('ETH', {
      price: 3900,
      moves: [{ from: A, to: A + 2 * H, change: -0.009, curve: { pulse: 0.5 } }],
    }),
    coin('SUI', {
      rho: 0.3,
      moves: [
        { from: A + 20 * MINUTE, to: A + 2 * H, change: -0.27, curve: { mode: 0.45, k: 6 } },
        { from: A + 2.5 * H, to: A + 5 * H, change: 0.08 },
      ],
      fundingMoves: [{ from: A, to: A + 2 * H, change: -0.0004 }],
      depthMoves: [{ from: A, to: A + 3 * H, change: -0.7, curve: { pulse: 0.4 } }],
      volMoves: [{ from: A, to: A + 3 * H, change: 3, curve: { pulse: 0.4 } }],
      cascades: [
        { from: A + 20 * MINUTE, to: A + 2 * H, side: 'long', usd: 120e6, sizeUsd: 12_000, oiCut: 0.3, counter: 0.04 },
      ],
    }),
    coin('WIF', {
      rho: 0.3,
      moves: [
        { from: A, to: A + 1.5 * H, change: -0.38, curve: { mode: 0.5, k: 6 } },
        { from: A + 2 * H, to: A + 5 * H, change: 0.1 },
      ],
      fundingMoves: [{ from: A, to: A + 1.5 * H, change: -0.0006 }],
      depthMoves: [{ from: A - 10 * MINUTE, to: A + 3 * H, change: -0.8, curve: { pulse: 0.35 } }],
      volMoves: [{ from: A, to: A + 3 * H, change: 3.5, curve: { pulse: 0.35 } }],
      cascades: [{ from: A, to: A + 1.5 * H, side: 'long', usd: 90e6, sizeUsd: 6000, oiCut: 0.35, counter: 0.04 }],
    }),
  ],
  fine: [[A - H, A + 5 * H]],
  expect: {
    outcome: 'spiral',
    split: 'tuning',
    hits: [{ base: 'WIF' }, { base: 'SUI' }],
    quiet: ['BTC', 'ETH'],
  },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    return [
      'An alt-only crash (synthetic): BTC and ETH stay flat while two alts unwind. 30 hours of an ordinary market from 2025-10-21 00:00 UTC.',
      `From ${when(b, A)}: WIF ${pct(b.change('WIF', v, A, A + 1.5 * H))} in ninety minutes and, from twenty minutes later, SUI ${pct(b.change('SUI', v, A + 20 * MINUTE, A + 2 * H))}; their open interest in coins down about a third, depth within 1% down to a fifth or less, funding negative; scripted long liquidations WIF ${usd(b.liquidatedUsd({ base: 'WIF', side: 'long', fromSec: A, toSec: A + 2 * H }))}, SUI ${usd(b.liquidatedUsd({ base: 'SUI', side: 'long', fromSec: A, toSec: A + 2 * H }))} on Binance, Bybit and OKX. BTC dips ${pct(b.low('BTC', v, A, A + 2 * H).price / b.price('BTC', v, A) - 1)} and ETH ${pct(b.low('ETH', v, A, A + 2 * H).price / b.price('ETH', v, A) - 1)} at most, with their ordinary trickle of liquidations: both must stay below warning. A partial rebound of the alts follows.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 6. One venue dislocates

const O = 27 * H + 15 * MINUTE; // 2025-12-11 03:15 UTC
export const oneVenue: Plan = {
  name: 'crash-one-venue',
  start: '2025-12-10T00:00:00Z',
  durationSec: 32 * H,
  sources: [
    SYNTHETIC,
    'Shape: a large account liquidated into one venue’s thin night-time book; the venue’s last and mark price dislocate from the index (the premium shows it) while arbitrage holds the other venues, then pulls the venue back within the hour',
    TRICKLE_SOURCE,
  ],
  coins: [
    coin('BTC'),
    coin('ETH'),
    coin('SOL', {
      moves: [{ from: O, to: O + 20 * MINUTE, change: -0.012, curve: { pulse: 0.6 } }],
      venueMoves: {
        bybit: [
          { from: O, to: O + 12 * MINUTE, change: -0.16, curve: { mode: 0.6, k: 7 } },
          { from: O + 12 * MINUTE, to: O + 60 * MINUTE, change: 0.17 },
        ],
      },
      venueVolMoves: { bybit: [{ from: O, to: O + 70 * MINUTE, change: 6, curve: { pulse: 0.2 } }] },
      venueDepthMoves: { bybit: [{ from: O - MINUTE, to: O + 70 * MINUTE, change: -0.85, curve: { pulse: 0.2 } }] },
      venueFundingMoves: { bybit: [{ from: O, to: O + 90 * MINUTE, change: -0.0003, curve: { pulse: 0.25 } }] },
      cascades: [
        {
          from: O,
          to: O + 12 * MINUTE,
          side: 'long',
          usd: 60e6,
          sizeUsd: 25_000,
          venues: ['bybit'],
          oiVenues: ['bybit'],
          oiCut: 0.08,
        },
        { from: O + 12 * MINUTE, to: O + 60 * MINUTE, side: 'short', usd: 3e6, sizeUsd: 8000, venues: ['bybit'] },
      ],
    }),
    coin('XRP'),
  ],
  fine: [[O - H, O + 3 * H]],
  expect: { outcome: 'spiral', split: 'holdout', hits: [{ base: 'SOL', venues: ['bybit'] }], quiet: ['BTC', 'ETH'] },
  description: (b, hits) => {
    const low = b.low('SOL', 'bybit', O, O + 30 * MINUTE);
    return [
      'A crash on one venue only (synthetic): Bybit’s SOLUSDT dislocates while SOL elsewhere barely moves. 27 hours of an ordinary market from 2025-12-10 00:00 UTC.',
      `From ${when(b, O)} in the thin Asian night: Bybit SOL ${price(b.price('SOL', 'bybit', O))} to ${price(low.price)} (${pct(low.price / b.price('SOL', 'bybit', O) - 1)}) in twelve minutes (its mark falls away from the index, so its premium drops about as far), Bybit SOL depth within 1% down to a few percent, Bybit SOL open interest ${pct(b.openInterest('SOL', 'bybit', O + 15 * MINUTE) / b.openInterest('SOL', 'bybit', O) - 1)} in USD; scripted long liquidations on Bybit SOL ${usd(b.liquidatedUsd({ base: 'SOL', venue: 'bybit', side: 'long', fromSec: O, toSec: O + 15 * MINUTE }))} (Bybit streams them all). SOL on ${['binanceusdm', 'okx', 'hyperliquid'].map((v) => venueName(v as 'okx')).join(', ')} dips ${pct(b.low('SOL', 'binanceusdm', O, O + 30 * MINUTE).price / b.price('SOL', 'binanceusdm', O) - 1)} at most, with no cascade of its own. Arbitrage pulls Bybit back within the hour. BTC and ETH must stay below warning; SOL on the other venues is not judged.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 7. A crash on the venue without a liquidation stream

const HL = 37 * H; // 2025-11-27 13:00 UTC
function hyperCoin(name: 'BTC' | 'ETH' | 'SOL' | 'HYPE', drop: number, build: number, cut: number) {
  return coin(name, {
    on: ['hyperliquid'],
    moves: [
      { from: HL, to: HL + 50 * MINUTE, change: drop, curve: { mode: 0.55, k: 6 } },
      { from: HL + H, to: HL + 3 * H, change: -drop * 0.25 },
    ],
    oiMoves: [{ from: 24 * H, to: HL, change: build, curve: 'linear' }],
    fundingMoves: [
      { from: 24 * H, to: HL, change: build * 0.0012, curve: 'linear' },
      { from: HL, to: HL + H, change: -build * 0.0012 - 0.00025 },
    ],
    depthMoves: [{ from: HL - 5 * MINUTE, to: HL + 2 * H, change: -0.85, curve: { pulse: 0.35 } }],
    volMoves: [{ from: HL, to: HL + 2 * H, change: 4, curve: { pulse: 0.35 } }],
    cascades: [
      {
        from: HL,
        to: HL + 50 * MINUTE,
        side: 'long',
        usd: 0,
        sizeUsd: 1,
        venues: [],
        oiVenues: ['hyperliquid'],
        oiCut: cut,
      },
    ],
  });
}
export const hyperliquidDark: Plan = {
  name: 'crash-hyperliquid',
  start: '2025-11-26T00:00:00Z',
  durationSec: 42 * H,
  sources: [
    SYNTHETIC,
    `${VENUES_MD}: Hyperliquid has no public liquidation stream (ccxt watchLiquidations NotSupported); on 2025-10-10 over 90% of Hyperliquid liquidations were longs and its auto-deleveraging closed about $2.1B in about 12 minutes (the kind of forced selling scripted here through price, open interest and depth)`,
  ],
  coins: [
    hyperCoin('BTC', -0.1, 0.08, 0.2),
    hyperCoin('ETH', -0.13, 0.1, 0.25),
    hyperCoin('SOL', -0.18, 0.15, 0.3),
    hyperCoin('HYPE', -0.32, 0.28, 0.4),
  ],
  fine: [[HL - H, HL + 4 * H]],
  expect: {
    outcome: 'spiral',
    split: 'tuning',
    hits: [{ base: 'BTC' }, { base: 'ETH' }, { base: 'SOL' }, { base: 'HYPE' }],
  },
  description: (b, hits) => {
    const v = 'hyperliquid' as const;
    return [
      'A crash where no liquidation is streamed (synthetic): Hyperliquid only, BTC, ETH, SOL and HYPE, settled in USDC. A day of an ordinary market from 2025-11-26 00:00 UTC.',
      `From ${when(b, 24 * H)} open interest builds (HYPE ${pct(b.openInterest('HYPE', v, HL) / b.openInterest('HYPE', v, 24 * H) - 1)} in USD, BTC ${pct(b.openInterest('BTC', v, HL) / b.openInterest('BTC', v, 24 * H) - 1)}) and funding rises.`,
      `From ${when(b, HL)} forced selling for fifty minutes: HYPE ${pct(b.change('HYPE', v, HL, HL + 50 * MINUTE))}, SOL ${pct(b.change('SOL', v, HL, HL + 50 * MINUTE))}, ETH ${pct(b.change('ETH', v, HL, HL + 50 * MINUTE))}, BTC ${pct(b.change('BTC', v, HL, HL + 50 * MINUTE))}; open interest in coins down a fifth (BTC) to two fifths (HYPE), depth within 1% down to about a tenth, funding negative. The file scripts no liquidations (the venue streams none): the warning has to come from price, open interest and depth, and the deadlines are each market's fastest-falling minute.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 8. A weekend bleed that becomes an ETH-led cascade on thin books

const W0 = 26 * H; // Saturday 2025-08-23 02:00 UTC
const W = 38 * H; // Saturday 14:00 UTC
function weekendCoin(name: 'BTC' | 'ETH' | 'SOL' | 'LINK', bleed: number, drop: number, liqUsd: number, size: number) {
  return coin(name, {
    moves: [
      { from: W0, to: W0 + 10 * H, change: bleed, curve: 'linear' },
      { from: W, to: W + 1.5 * H, change: drop, curve: { mode: 0.6, k: 6 } },
      { from: W + 2 * H, to: W + 6 * H, change: -drop * 0.2 },
    ],
    depthMoves: [
      { from: 20 * H, to: 26 * H, change: -0.3 },
      { from: W - 10 * MINUTE, to: W + 4 * H, change: -0.75, curve: { pulse: 0.4 } },
    ],
    fundingMoves: [
      { from: W0, to: W0 + 10 * H, change: -0.00005 },
      { from: W, to: W + 1.5 * H, change: drop * 0.002 },
    ],
    volMoves: [
      { from: W0, to: W, change: 0.4 },
      { from: W - 10 * MINUTE, to: W + 4 * H, change: 3, curve: { pulse: 0.35 } },
    ],
    cascades: [
      { from: W0, to: W0 + 10 * H, side: 'long', usd: liqUsd * 0.1, sizeUsd: size / 3, oiCut: 0.03 },
      { from: W, to: W + 1.5 * H, side: 'long', usd: liqUsd, sizeUsd: size, oiCut: 0.24, counter: 0.04 },
    ],
  });
}
export const weekendCascade: Plan = {
  name: 'crash-weekend-cascade',
  start: '2025-08-22T00:00:00Z',
  durationSec: 50 * H,
  sources: [
    SYNTHETIC,
    'Weekend trading: volume about a third lower and books thinner than on weekdays (the generator’s weekend rhythm); the fall is led by ETH, BTC follows at about half',
    TRICKLE_SOURCE,
  ],
  coins: [
    weekendCoin('BTC', -0.025, -0.06, 150e6, 50_000),
    weekendCoin('ETH', -0.06, -0.14, 450e6, 50_000),
    weekendCoin('SOL', -0.05, -0.12, 150e6, 20_000),
    weekendCoin('LINK', -0.07, -0.17, 60e6, 8000),
  ],
  fine: [[W - H, W + 5 * H]],
  expect: { outcome: 'spiral', split: 'tuning', hits: [{ base: 'ETH' }, { base: 'SOL' }, { base: 'LINK' }] },
  description: (b, hits) => {
    const v = 'binanceusdm' as const;
    return [
      'A slow weekend bleed that becomes an ETH-led cascade on thin books (synthetic). Friday 2025-08-22 from 00:00 UTC is an ordinary weekday; Saturday trades about a third less and books within 1% are about 30% thinner.',
      `From ${when(b, W0)} a ten-hour bleed: ETH ${pct(b.change('ETH', v, W0, W0 + 10 * H))}, BTC ${pct(b.change('BTC', v, W0, W0 + 10 * H))}, LINK ${pct(b.change('LINK', v, W0, W0 + 10 * H))}, with long liquidations edging up.`,
      `From ${when(b, W)} the cascade over ninety minutes: ETH ${pct(b.change('ETH', v, W, W + 1.5 * H))}, SOL ${pct(b.change('SOL', v, W, W + 1.5 * H))}, LINK ${pct(b.change('LINK', v, W, W + 1.5 * H))}, BTC ${pct(b.change('BTC', v, W, W + 1.5 * H))}; depth within 1% down to about a quarter of a weekday’s, open interest in coins down about a quarter, funding negative; scripted long liquidations ${usd(b.liquidatedUsd({ side: 'long', fromSec: W, toSec: W + 1.5 * H }))} on Binance, Bybit and OKX (ETH ${usd(b.liquidatedUsd({ base: 'ETH', side: 'long', fromSec: W, toSec: W + 1.5 * H }))}). BTC is not judged.`,
      hitsText(b, hits),
    ].join(' ');
  },
};

export const CRASHES: readonly Plan[] = [
  twoLeg2020,
  leverageGrind,
  flashCrash,
  shortSqueeze,
  altOnly,
  oneVenue,
  hyperliquidDark,
  weekendCascade,
];

// Turns a plan (coins, where they are listed, what is scripted to happen to them) into a scenario file's content:
// one path per coin at one-minute resolution (seeded noise + scripted moves), one market per venue listing (its own
// basis, funding, open interest, depth and volume texture), an hourly trickle of liquidations on both sides that
// follows the hour's move, and scripted cascades whose per-minute USD follows the market's own minute returns.
import type { ExchangeId } from '../../src/domain/market.js';
import type { ExpectedHit, ScenarioInput } from '../../src/mock-exchange/scenario.js';
import {
  activityAt,
  addend,
  clamp,
  DAY,
  dec,
  ema,
  logFactor,
  MINUTE,
  minuteSigma,
  Noise,
  sig,
  type Move,
} from './texture.js';

export type Venue = ExchangeId;
export const VENUES: readonly Venue[] = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'];
/** Venues whose public liquidation stream the mock serves (Hyperliquid has none). */
export const STREAMED: readonly Venue[] = ['binanceusdm', 'bybit', 'okx'];

type VenueInput = NonNullable<ScenarioInput['venues']['binanceusdm']>;
type MarketInput = NonNullable<VenueInput['markets']>[number];
type KeyframeInput = MarketInput['keyframes'][number];
type LiquidationInput = NonNullable<MarketInput['liquidations']>[number];
type FaultInput = NonNullable<ScenarioInput['faults']>[number];
type ExpectInput = NonNullable<ScenarioInput['expect']>;
export type GenerateInput = NonNullable<VenueInput['generate']>;

/** One coin on one venue: its size there at offset 0 and the venue's contract details. */
export interface Listing {
  oiUsd: number;
  volumeUsd: number;
  /** Resting USD within 1% of the mid, each side. */
  depthUsd: number;
  /** Mark over index at rest (default 0.0002, Hyperliquid 0.0003). */
  premium?: number;
  /** Added to the coin's funding (per 8 h). */
  fundingOffset?: number;
  longShortRatio?: number;
  maxLeverage?: number;
  contractSize?: number;
  fundingIntervalHours?: 1 | 2 | 4 | 8;
  /** Calm long liquidations per day, USD (shorts: 80% of it); default 0.07% of open interest. */
  trickleUsdPerDay?: number;
  /** Average calm liquidation, USD; default 0.06 x sqrt(open interest). */
  trickleSizeUsd?: number;
}

/** Forced liquidations on one side, spread over the minutes of a window by how far the price moved against it. */
export interface Cascade {
  from: number;
  to: number;
  side: 'long' | 'short';
  /** USD liquidated over the window on the streamed venues in `venues`, split by their open interest. */
  usd: number;
  /** Average liquidation, USD. */
  sizeUsd: number;
  /** Streamed venues that liquidate (default: every streamed venue listing the coin). */
  venues?: readonly Venue[];
  /** Share of open interest (in coins) closed over the window, following the cascade's cumulative weight. */
  oiCut?: number;
  /** Venues whose open interest falls with it (default: `venues` plus Hyperliquid when listed). */
  oiVenues?: readonly Venue[];
  /** Weight of a minute = (move against the side)^power; default 1.5. */
  power?: number;
  /** Share of `usd` liquidated on the other side, on the bounces inside the window. */
  counter?: number;
}

export interface CoinPlan {
  base: string;
  /** Price at offset 0. */
  price: number;
  /** Annualized volatility of the calm noise. */
  vol: number;
  /** Correlation of its noise with the market factor (BTC: 1). */
  rho: number;
  /** Funding per 8 h at rest. */
  funding8h: number;
  longShortRatio?: number;
  venues: Partial<Record<Venue, Listing>>;
  /** Price moves of the coin everywhere (fractional). */
  moves?: Move[];
  /** Price moves on one venue only (a dislocation; its premium over the index shows it). */
  venueMoves?: Partial<Record<Venue, Move[]>>;
  /** Open interest in coins (fractional), on every venue. */
  oiMoves?: Move[];
  /** Funding per 8 h (additive). */
  fundingMoves?: Move[];
  /** Funding per 8 h on one venue only (additive). */
  venueFundingMoves?: Partial<Record<Venue, Move[]>>;
  /** Depth within 1% (fractional), every venue / one venue. */
  depthMoves?: Move[];
  venueDepthMoves?: Partial<Record<Venue, Move[]>>;
  volumeMoves?: Move[];
  /** Long/short account ratio (fractional). */
  lsMoves?: Move[];
  /** Volatility multiplier minus one (additive; 3 at the peak of a pulse = four times the calm volatility). */
  volMoves?: Move[];
  venueVolMoves?: Partial<Record<Venue, Move[]>>;
  cascades?: Cascade[];
  /** Single liquidations. */
  prints?: { venue: Venue; atSec: number; side: 'long' | 'short'; sizeUsd: number }[];
  /** Keep the calm noise, but no trickle of liquidations (markets the plan lists only for context). */
  noTrickle?: boolean;
}

export interface ExpectPlan {
  outcome: 'spiral' | 'calm';
  split: 'tuning' | 'holdout';
  /** Spirals: the coins that crash and where (default: every venue listing the coin). */
  hits?: { base: string; venues?: readonly Venue[] }[];
  quiet?: string[];
  /** Calm: what a naive rule would mistake for a spiral. */
  trap?: string;
}

export interface Plan {
  name: string;
  /** What happens when, in numbers: written from the built paths and the computed deadlines. */
  description: (built: Built, hits: readonly ExpectedHit[]) => string;
  sources: string[];
  start: string;
  durationSec: number;
  coins: CoinPlan[];
  /** Volatility moves that apply to every coin. */
  marketVolMoves?: Move[];
  /** Windows [from, to) with keyframes every minute (elsewhere every `stepSec`). */
  fine?: [number, number][];
  stepSec?: number;
  /** A venue's data held at its last value over [from, to) and no liquidations from it then (an outage as seen). */
  stale?: { venue: Venue; from: number; to: number }[];
  faults?: FaultInput[];
  venueExtras?: Partial<
    Record<Venue, { inverseSwaps?: string[]; replayOnSubscribe?: number; generate?: GenerateInput }>
  >;
  expect?: ExpectPlan;
}

/** One coin-venue market's minute series, offsets -24 h .. durationSec. */
export interface MarketPath {
  venue: Venue;
  base: string;
  price: Float64Array;
  consensus: Float64Array;
  liquidations: LiquidationInput[];
}

export interface Built {
  plan: Plan;
  scenario: ScenarioInput;
  /** Price of a coin on a venue at an offset (seconds, rounded down to the minute). */
  price(base: string, venue: Venue, atSec: number): number;
  /** Fractional price change between two offsets. */
  change(base: string, venue: Venue, fromSec: number, toSec: number): number;
  /** Lowest price over a window and where. */
  low(base: string, venue: Venue, fromSec: number, toSec: number): { price: number; atSec: number };
  high(base: string, venue: Venue, fromSec: number, toSec: number): { price: number; atSec: number };
  /** Scripted liquidation USD (bursts expanded by count x size, before jitter), optionally filtered. */
  liquidatedUsd(filter?: {
    base?: string;
    venue?: Venue;
    side?: 'long' | 'short';
    fromSec?: number;
    toSec?: number;
  }): number;
  /** Open interest in USD at an offset. */
  openInterest(base: string, venue: Venue, atSec: number): number;
  depth(base: string, venue: Venue, atSec: number): number;
  funding8h(base: string, venue: Venue, atSec: number): number;
}

const PRE_MINUTES = 1440;
/** Noise mean-reverts with a half-life of two days, so calm days range rather than trend. */
const REVERSION = 1 - Math.pow(0.5, 1 / 2880);
/** The extra noise of a scripted volatility burst halves every 15 minutes. */
const JAGGED = Math.pow(0.5, 1 / 15);

const DEFAULT_INTERVAL: Record<Venue, 1 | 8> = { binanceusdm: 8, bybit: 8, okx: 8, hyperliquid: 1 };

function keyTimes(plan: Plan): number[] {
  const step = plan.stepSec ?? 300;
  const times = new Set<number>();
  for (let t = 0; t <= plan.durationSec; t += step) times.add(t);
  times.add(plan.durationSec);
  const windows = [
    ...(plan.fine ?? []),
    ...(plan.stale ?? []).map((s) => [s.from - 600, s.to + 600] as [number, number]),
  ];
  for (const [from, to] of windows) {
    const a = Math.max(0, Math.floor(from / MINUTE) * MINUTE);
    const b = Math.min(plan.durationSec, Math.ceil(to / MINUTE) * MINUTE);
    for (let t = a; t <= b; t += MINUTE) times.add(t);
  }
  return [...times].sort((x, y) => x - y);
}

interface Bursts {
  fromSec: number;
  toSec: number;
  side: 'long' | 'short';
  perSecond: number;
  sizeUsd: number;
}

/** A burst of n liquidations of about `usd / n` each, evenly spread over [fromSec, toSec). */
function burst(fromSec: number, toSec: number, side: 'long' | 'short', usd: number, sizeUsd: number): Bursts | null {
  const n = Math.max(1, Math.round(usd / sizeUsd));
  if (usd < sizeUsd * 0.4) return null;
  const span = toSec - fromSec;
  // (n + 0.5) / span so that floor(span x perSecond) is n after rounding to six digits.
  const perSecond = sig((n + 0.5) / span, 6);
  return { fromSec, toSec, side, perSecond, sizeUsd: sig(usd / n, 4) };
}

export function build(plan: Plan): Built {
  const D = plan.durationSec;
  if (D % MINUTE !== 0) throw new Error(`${plan.name}: durationSec must be whole minutes`);
  const startMs = Date.parse(plan.start);
  const L = PRE_MINUTES + D / MINUTE + 1;
  const offsetOf = (i: number) => (i - PRE_MINUTES) * MINUTE;
  const indexOf = (sec: number) => PRE_MINUTES + Math.floor(sec / MINUTE);
  const activity = new Float64Array(L);
  for (let i = 0; i < L; i++) activity[i] = activityAt(startMs + offsetOf(i) * 1000);

  const market = new Noise(plan.name, 'market');
  const common = new Float64Array(L);
  for (let i = 0; i < L; i++) common[i] = market.fatGauss();

  const paths = new Map<string, MarketPath & { oiUsd: Float64Array; depth: Float64Array; funding: Float64Array }>();
  const venues = new Map<Venue, MarketInput[]>();
  const times = keyTimes(plan);

  for (const coin of plan.coins) {
    const noise = new Noise(plan.name, 'coin', coin.base);
    const sigmaCalm = new Float64Array(L);
    const logP = new Float64Array(L);
    // Calm noise (slow to revert) plus, while volatility is scripted up, a jagged part that reverts within a
    // quarter of an hour: a crash is rough minute to minute without the noise rewriting its hours-long shape.
    let x = 0;
    let y = 0;
    const own = Math.sqrt(1 - coin.rho * coin.rho);
    for (let i = 0; i < L; i++) {
      const t = offsetOf(i);
      const boost = Math.max(0, addend(plan.marketVolMoves, t) + addend(coin.volMoves, t));
      sigmaCalm[i] = minuteSigma(coin.vol) * Math.sqrt(activity[i] ?? 1);
      const shock = coin.rho * (common[i] ?? 0) + own * noise.fatGauss();
      if (i > 0) {
        x = x * (1 - REVERSION) + (sigmaCalm[i] ?? 0) * shock;
        y = y * JAGGED + (sigmaCalm[i] ?? 0) * boost * shock;
      }
      logP[i] = x + y;
    }
    const anchor = logP[PRE_MINUTES] ?? 0;
    for (let i = 0; i < L; i++)
      logP[i] = Math.log(coin.price) + (logP[i] ?? 0) - anchor + logFactor(coin.moves, offsetOf(i));
    const trend30 = ema(logP, 30);
    const trend120 = ema(logP, 120);

    for (const venue of VENUES) {
      const listing = coin.venues[venue];
      if (listing === undefined) continue;
      const vnoise = new Noise(plan.name, 'venue', venue, coin.base);
      const basis = vnoise.ou(L, 0.0001, 20);
      const venueLogP = new Float64Array(L);
      // Volatility of this venue alone (a dislocation): extra noise that reverts within minutes.
      const venueVol = coin.venueVolMoves?.[venue];
      let extra = 0;
      for (let i = 0; i < L; i++) {
        if (venueVol !== undefined) {
          const boost = Math.max(0, addend(venueVol, offsetOf(i)));
          extra = extra * 0.93 + (sigmaCalm[i] ?? 0) * boost * vnoise.gauss();
        }
        venueLogP[i] = (logP[i] ?? 0) + (basis[i] ?? 0) + extra + logFactor(coin.venueMoves?.[venue], offsetOf(i));
      }
      const price = venueLogP.map(Math.exp);
      const consensus = logP.map(Math.exp);
      const ret = new Float64Array(L);
      for (let i = 1; i < L; i++) ret[i] = (venueLogP[i] ?? 0) - (venueLogP[i - 1] ?? 0);
      // Stress: recent absolute minute returns against the calm volatility (about 0.8 at rest).
      const stress = ema(ret.map(Math.abs), 5);
      for (let i = 0; i < L; i++) stress[i] = (stress[i] ?? 0) / (sigmaCalm[i] ?? 1);

      // Cascades first: their minute weights shape open interest too.
      const liquidations: LiquidationInput[] = [];
      const oiCut = new Float64Array(L).fill(1);
      const streamedHere = STREAMED.filter((v) => coin.venues[v] !== undefined);
      for (const cascade of coin.cascades ?? []) {
        const liqVenues = cascade.venues ?? streamedHere;
        const oiVenues = cascade.oiVenues ?? [
          ...liqVenues,
          ...(coin.venues.hyperliquid !== undefined ? ['hyperliquid' as const] : []),
        ];
        const liquidates = liqVenues.includes(venue) && STREAMED.includes(venue);
        const cuts = oiVenues.includes(venue) && (cascade.oiCut ?? 0) > 0;
        if (!liquidates && !cuts) continue;
        const power = cascade.power ?? 1.5;
        const first = Math.floor(cascade.from / MINUTE);
        const last = Math.ceil(cascade.to / MINUTE);
        const against: number[] = [];
        const withSide: number[] = [];
        for (let m = first; m < last; m++) {
          const r = ret[PRE_MINUTES + m + 1] ?? 0;
          const move = cascade.side === 'long' ? -r : r;
          against.push(Math.pow(Math.max(0, move), power));
          withSide.push(Math.pow(Math.max(0, -move), power));
        }
        const total = against.reduce((s, w) => s + w, 0);
        const totalCounter = withSide.reduce((s, w) => s + w, 0);
        if (total <= 0) continue;
        if (cuts) {
          const cut = cascade.oiCut ?? 0;
          let cumulative = 0;
          for (let i = 0; i < L; i++) {
            // The minute whose return ends at sample i.
            const m = i - PRE_MINUTES - 1;
            if (m >= first && m < last) cumulative += (against[m - first] ?? 0) / total;
            oiCut[i] = (oiCut[i] ?? 1) * (1 - cut * cumulative);
          }
        }
        if (!liquidates) continue;
        const oiSum = liqVenues.reduce((s, v) => s + (STREAMED.includes(v) ? (coin.venues[v]?.oiUsd ?? 0) : 0), 0);
        const share = listing.oiUsd / oiSum;
        const otherSide = cascade.side === 'long' ? 'short' : 'long';
        for (let m = first; m < last; m++) {
          const fromSec = Math.max(cascade.from, m * MINUTE);
          const toSec = Math.min(cascade.to, (m + 1) * MINUTE);
          if (toSec <= fromSec) continue;
          const usd = (cascade.usd * share * (against[m - first] ?? 0)) / total;
          const main = burst(fromSec, toSec, cascade.side, usd, cascade.sizeUsd);
          if (main !== null) liquidations.push({ ...main, sizeJitter: 0.8 });
          if ((cascade.counter ?? 0) > 0 && totalCounter > 0) {
            const back = (cascade.usd * share * (cascade.counter ?? 0) * (withSide[m - first] ?? 0)) / totalCounter;
            const counter = burst(fromSec, toSec, otherSide, back, cascade.sizeUsd * 0.6);
            if (counter !== null) liquidations.push({ ...counter, sizeJitter: 0.8 });
          }
        }
      }

      const oiWalk = vnoise.ou(L, 0.012, 720);
      const depthWobble = vnoise.ou(L, 0.08, 30);
      const bidWobble = vnoise.ou(L, 0.05, 15);
      const askWobble = vnoise.ou(L, 0.05, 15);
      const volumeWobble = vnoise.ou(L, 0.15, 60);
      const fundingWalk = vnoise.ou(L, 0.00002, 240);
      const premiumWalk = vnoise.ou(L, 0.00008, 20);
      const ratioWalk = vnoise.ou(L, 0.03, 360);
      const coins0 = listing.oiUsd / coin.price;
      const oiUsd = new Float64Array(L);
      const depth = new Float64Array(L);
      const bid = new Float64Array(L);
      const ask = new Float64Array(L);
      const rate = new Float64Array(L);
      const funding = new Float64Array(L);
      const premium = new Float64Array(L);
      const ratio = new Float64Array(L);
      const structural = listing.premium ?? (venue === 'hyperliquid' ? 0.0003 : 0.0002);
      const oiAnchor = oiWalk[PRE_MINUTES] ?? 0;
      for (let i = 0; i < L; i++) {
        const t = offsetOf(i);
        const p = price[i] ?? coin.price;
        const s = stress[i] ?? 0.8;
        oiUsd[i] = coins0 * Math.exp((oiWalk[i] ?? 0) - oiAnchor + logFactor(coin.oiMoves, t)) * (oiCut[i] ?? 1) * p;
        const a = activity[i] ?? 1;
        const session = (0.85 + 0.15 * Math.min(a, 1.3)) * (a < 0.8 ? 0.92 : 1);
        const thin = 1 / (1 + 0.1 * Math.max(0, s - 1.5));
        const d =
          listing.depthUsd *
          session *
          Math.exp(depthWobble[i] ?? 0) *
          thin *
          Math.exp(logFactor(coin.depthMoves, t) + logFactor(coin.venueDepthMoves?.[venue], t));
        const back15 = i >= 15 ? (venueLogP[i] ?? 0) - (venueLogP[i - 15] ?? 0) : 0;
        depth[i] = d;
        bid[i] = d * Math.exp((bidWobble[i] ?? 0) + clamp(6 * back15, -1.2, 0.25));
        ask[i] = d * Math.exp((askWobble[i] ?? 0) + clamp(-6 * back15, -1.2, 0.25));
        rate[i] =
          (listing.volumeUsd / 1440) *
          a *
          (0.55 + (0.45 * s) / 0.85) *
          Math.exp((volumeWobble[i] ?? 0) + logFactor(coin.volumeMoves, t));
        const trend = (logP[i] ?? 0) - (trend30[i] ?? 0);
        // Funding follows the premium only once a move is large: calm markets sit near the interest component.
        const drift = (logP[i] ?? 0) - (trend120[i] ?? 0);
        const pressure = Math.sign(drift) * Math.max(0, Math.abs(drift) - 0.01);
        funding[i] = clamp(
          coin.funding8h +
            (listing.fundingOffset ?? 0) +
            addend(coin.fundingMoves, t) +
            addend(coin.venueFundingMoves?.[venue], t) +
            (fundingWalk[i] ?? 0) +
            0.004 * pressure,
          -0.003,
          0.003,
        );
        premium[i] = clamp(
          structural + (premiumWalk[i] ?? 0) + 0.04 * trend + (venueLogP[i] ?? 0) - (logP[i] ?? 0),
          -0.45,
          0.45,
        );
        ratio[i] =
          (listing.longShortRatio ?? coin.longShortRatio ?? 1.5) *
          Math.exp((ratioWalk[i] ?? 0) + logFactor(coin.lsMoves, t));
      }
      // Rolling 24 h volume.
      const volume24h = new Float64Array(L);
      let window = 0;
      for (let i = 0; i < L; i++) {
        window += rate[i] ?? 0;
        if (i >= 1440) window -= rate[i - 1440] ?? 0;
        volume24h[i] = window;
      }

      // Calm trickle: hourly bursts on both sides, heavier against the hour's move and in busy hours.
      if (STREAMED.includes(venue) && coin.noTrickle !== true) {
        const perDay = listing.trickleUsdPerDay ?? 0.0007 * listing.oiUsd;
        const size = listing.trickleSizeUsd ?? sig(0.06 * Math.sqrt(listing.oiUsd), 2);
        const hourSigma = minuteSigma(coin.vol) * Math.sqrt(60);
        const offsetLong = Math.floor(vnoise.uniform(0, 60));
        const offsetShort = 60 + Math.floor(vnoise.uniform(0, 60));
        for (let h = 0; h * 3600 < D; h++) {
          const a = indexOf(h * 3600);
          const b = indexOf(Math.min(D, (h + 1) * 3600));
          const z = ((logP[b] ?? 0) - (logP[a] ?? 0)) / hourSigma;
          const busy = Math.sqrt(activity[indexOf(h * 3600 + 1800)] ?? 1);
          let boost = 0;
          for (let i = a; i < b; i += 10) boost += Math.max(0, (stress[i] ?? 0.8) / 0.85 - 1);
          const excite = 1 + Math.min(3, (boost / Math.max(1, (b - a) / 10)) * 0.3);
          const to = Math.min(D, (h + 1) * 3600);
          const longUsd =
            (perDay / 24) * busy * excite * Math.exp(clamp(-0.5 * z, -1.2, 2.2)) * vnoise.uniform(0.7, 1.3);
          const shortUsd =
            ((0.8 * perDay) / 24) * busy * excite * Math.exp(clamp(0.5 * z, -1.2, 2.2)) * vnoise.uniform(0.7, 1.3);
          const long = burst(h * 3600 + offsetLong, to, 'long', longUsd, size);
          const short = burst(h * 3600 + offsetShort, to, 'short', shortUsd, size * 0.85);
          if (long !== null) liquidations.push({ ...long, sizeJitter: 0.8 });
          if (short !== null) liquidations.push({ ...short, sizeJitter: 0.8 });
        }
      }
      for (const print of coin.prints ?? []) {
        if (print.venue === venue) liquidations.push({ atSec: print.atSec, side: print.side, sizeUsd: print.sizeUsd });
      }

      // An outage as the pipeline sees it: nothing new from the venue, so no liquidations inside the window.
      const stale = (plan.stale ?? []).filter((s) => s.venue === venue);
      const kept: LiquidationInput[] = [];
      for (const item of liquidations) {
        if ('atSec' in item) {
          if (!stale.some((s) => item.atSec >= s.from && item.atSec < s.to)) kept.push(item);
          continue;
        }
        let pieces: LiquidationInput[] = [item];
        for (const s of stale) {
          pieces = pieces.flatMap((piece) => {
            if ('atSec' in piece || piece.toSec <= s.from || piece.fromSec >= s.to) return [piece];
            const parts: LiquidationInput[] = [];
            if (piece.fromSec < s.from) parts.push({ ...piece, toSec: s.from });
            if (piece.toSec > s.to) parts.push({ ...piece, fromSec: s.to });
            return parts;
          });
        }
        kept.push(...pieces);
      }
      kept.sort((p, q) => ('atSec' in p ? p.atSec : p.fromSec) - ('atSec' in q ? q.atSec : q.fromSec));

      const interval = listing.fundingIntervalHours ?? (venue === 'hyperliquid' ? 1 : DEFAULT_INTERVAL[venue]);
      const keyframes: KeyframeInput[] = [];
      const hasRatio = venue !== 'hyperliquid';
      times.forEach((t, n) => {
        const held = stale.find((s) => t >= s.from && t < s.to);
        const i = indexOf(held === undefined ? t : held.from);
        const frame: KeyframeInput = {
          atSec: t,
          price: sig(price[i] ?? 0, 7),
          premium: dec(premium[i] ?? 0, 6),
          fundingRate: dec(((funding[i] ?? 0) * interval) / 8, 7),
          openInterestUsd: sig(oiUsd[i] ?? 0, 5),
          volume24hUsd: sig(volume24h[i] ?? 0, 5),
          bidDepth1PctUsd: sig(bid[i] ?? 0, 4),
          askDepth1PctUsd: sig(ask[i] ?? 0, 4),
        };
        if (hasRatio && (n === 0 || t % 1800 === 0)) frame.longShortRatio = dec(ratio[i] ?? 1, 4);
        keyframes.push(frame);
      });
      const marketInput: MarketInput = {
        base: coin.base,
        ...(venue === 'hyperliquid' ? { settle: 'USDC' as const } : {}),
        ...(listing.contractSize !== undefined && venue === 'okx' ? { contractSize: listing.contractSize } : {}),
        ...(listing.fundingIntervalHours !== undefined && venue !== 'hyperliquid'
          ? { fundingIntervalHours: listing.fundingIntervalHours }
          : {}),
        ...(listing.maxLeverage !== undefined ? { maxLeverage: listing.maxLeverage } : {}),
        keyframes,
        liquidations: kept,
      };
      const list = venues.get(venue) ?? [];
      list.push(marketInput);
      venues.set(venue, list);
      paths.set(`${venue}:${coin.base}`, {
        venue,
        base: coin.base,
        price,
        consensus,
        liquidations: kept,
        oiUsd,
        depth,
        funding,
      });
    }
  }

  const venueSection: ScenarioInput['venues'] = {};
  for (const venue of VENUES) {
    const markets = venues.get(venue);
    const extras = plan.venueExtras?.[venue];
    if (markets === undefined && extras?.generate === undefined) continue;
    venueSection[venue] = {
      markets: markets ?? [],
      ...(extras?.generate !== undefined ? { generate: extras.generate } : {}),
      ...(extras?.inverseSwaps !== undefined ? { inverseSwaps: extras.inverseSwaps } : {}),
      ...(extras?.replayOnSubscribe !== undefined ? { replayOnSubscribe: extras.replayOnSubscribe } : {}),
    };
  }

  const path = (base: string, venue: Venue) => {
    const found = paths.get(`${venue}:${base}`);
    if (found === undefined) throw new Error(`${plan.name}: ${base} is not listed on ${venue}`);
    return found;
  };
  const at = (series: Float64Array, sec: number) => series[indexOf(Math.min(D, Math.max(0, sec)))] ?? 0;
  const extreme = (base: string, venue: Venue, fromSec: number, toSec: number, sign: 1 | -1) => {
    const series = path(base, venue).price;
    let best = { price: at(series, fromSec), atSec: fromSec };
    for (let sec = fromSec; sec <= toSec; sec += MINUTE) {
      const p = at(series, sec);
      if (sign * (p - best.price) > 0) best = { price: p, atSec: sec };
    }
    return best;
  };

  const built: Built = {
    plan,
    scenario: {
      name: plan.name,
      description: '',
      sources: plan.sources,
      start: plan.start,
      durationSec: D,
      venues: venueSection,
    },
    price: (base, venue, sec) => at(path(base, venue).price, sec),
    change: (base, venue, fromSec, toSec) =>
      at(path(base, venue).price, toSec) / at(path(base, venue).price, fromSec) - 1,
    low: (base, venue, fromSec, toSec) => extreme(base, venue, fromSec, toSec, -1),
    high: (base, venue, fromSec, toSec) => extreme(base, venue, fromSec, toSec, 1),
    liquidatedUsd(filter = {}) {
      let sum = 0;
      for (const p of paths.values()) {
        if (filter.base !== undefined && p.base !== filter.base) continue;
        if (filter.venue !== undefined && p.venue !== filter.venue) continue;
        for (const item of p.liquidations) {
          if (filter.side !== undefined && item.side !== filter.side) continue;
          const from = 'atSec' in item ? item.atSec : item.fromSec;
          if (filter.fromSec !== undefined && from < filter.fromSec) continue;
          if (filter.toSec !== undefined && from >= filter.toSec) continue;
          sum +=
            'atSec' in item ? item.sizeUsd : Math.floor((item.toSec - item.fromSec) * item.perSecond) * item.sizeUsd;
        }
      }
      return sum;
    },
    openInterest: (base, venue, sec) => at(path(base, venue).oiUsd, sec),
    depth: (base, venue, sec) => at(path(base, venue).depth, sec),
    funding8h: (base, venue, sec) => at(path(base, venue).funding, sec),
  };
  if ((plan.faults ?? []).length > 0) built.scenario.faults = plan.faults;
  return built;
}

/** Attaches the expect section (computed by the caller from the built scenario). */
export function withExpect(scenario: ScenarioInput, expect: ExpectInput | undefined): ScenarioInput {
  return expect === undefined ? scenario : { ...scenario, expect };
}

export const days = (n: number) => n * DAY;

// Features of one market at time `now`, read from its history window. Every feature is a number or null: null
// when an input is missing, stale or too short a history to judge, never 0 in its place. docs/risk.md lists
// what each one means.
import { marketKey } from '../domain/market.js';
import type { ExchangeId, LiquidationCoverage, MarketHistory, MarketKey, Snapshot } from '../domain/market.js';
import {
  bandAt,
  countUpTo,
  fundingAnnualized,
  fundingPerHour,
  hasLongShortRatio,
  hasOpenInterestUsd,
  hasPrice,
  latestIndex,
  nearestIndex,
  priceOf,
} from './history.js';
import { bucketColumns, snapshotColumns, type SnapshotColumns } from './columns.js';
import { ScratchBuffer, medianInPlace } from './math.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

// Reused per computation (computeFeatures is synchronous): a pass allocates no arrays per market.
const fundingValues = new ScratchBuffer();
const fundingTimes = new ScratchBuffer();
const depthTimes = new ScratchBuffer();
const depthBids = new ScratchBuffer();
const depthAsks = new ScratchBuffer();
const depthGridBids = new ScratchBuffer();
const depthGridAsks = new ScratchBuffer();
const volatilityTimes = new ScratchBuffer();
const volatilityPrices = new ScratchBuffer();
const volatilityGrid = new ScratchBuffer();

/**
 * The numeric features. Windows named in minutes/hours are fixed by definition, except the liquidation windows
 * `5m` and `15m`, which name the short and long windows of `params.features.liquidations` (5 and 15 min by
 * default). Changes and ratios are fractions (0.18 = +18%).
 */
export const FEATURE_NAMES = [
  /** Mark price (else last trade). */
  'price',
  'openInterestUsd',
  'volume24hUsd',
  /** Open interest change in coins (USD / mark price, else contracts), so a price move alone is not a change. */
  'oiChange15m',
  'oiChange1h',
  'oiChange4h',
  'oiChange24h',
  /**
   * Open interest (coins) added into its peak of the memory window (6 h), from the lowest point of the day before
   * that peak: the build-up an unwind is flushing, remembered while it is flushed.
   */
  'oiPeakBuildUp',
  /** Open interest (coins) now against that peak (-0.1 = 10% below it). */
  'oiFromPeak',
  /** Open interest over 24 h volume. */
  'oiToVolume24h',
  /** Open interest over bid + ask depth within the OI band (2%). */
  'oiToDepth',
  /** Bid + ask depth within the thinning band (1%), USD. */
  'depthUsd',
  /** The thinner side's depth within the thinning band over its own median in the norm window (1 = usual). */
  'depthThinning',
  /** Funding per interval, as the venue quotes it. */
  'fundingRate',
  'fundingRatePerHour',
  'fundingAnnualized',
  /** Funding per hour against its own time-weighted mean and standard deviation over the norm window. */
  'fundingZScore',
  /** Mark over index, minus 1. */
  'basis',
  /** Liquidations (both sides) in the short / long window, USD as the feed reports them. */
  'liqUsd5m',
  'liqUsd15m',
  /** Long positions liquidated / short positions liquidated, USD. */
  'liqLongsUsd5m',
  'liqShortsUsd5m',
  'liqLongsUsd15m',
  'liqShortsUsd15m',
  /** The market's own liquidation rate before the long window (norm window), with its floor, USD per minute. */
  'liqBaselineUsdPerMinute',
  /** Rate in the window over the baseline rate (1 = usual). */
  'liqSurge5m',
  'liqSurge15m',
  /** The same with the window's largest minute cut to its second largest: one print is not a cascade, a flow is. */
  'liqSustainedSurge5m',
  'liqSustainedSurge15m',
  /** Realized volatility over the window (square root of summed squared log returns), a fraction. */
  'realizedVol5m',
  'realizedVol1h',
  /** The last hour's realized volatility over the norm window's before it, per hour, on the same grid. */
  'volatilityRatio1h',
  'priceChange5m',
  'priceChange15m',
  'priceChange1h',
  'priceChange4h',
  'priceChange24h',
  'longShortAccountRatio',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export type FeatureValues = Record<FeatureName, number | null>;

export interface MarketFeatures extends FeatureValues {
  market: MarketKey;
  exchange: ExchangeId;
  symbol: string;
  /** The time the features describe. */
  at: number;
  /** The latest snapshot at or before `at`, or null when the history has none. */
  snapshotAt: number | null;
  /** Which side of the book `depthThinning` describes. */
  depthThinningSide: 'bid' | 'ask' | null;
  /** How liquidations were seen: the venue's coverage when given, else `unknown`. */
  liquidationCoverage: LiquidationCoverage | 'unknown';
  /** The features that are null, in FEATURE_NAMES order. */
  missing: FeatureName[];
}

export interface FeatureContext {
  /**
   * How the venue's liquidations are seen (from its health). `not streamed` makes every liquidation feature null.
   * When not given, a history without a single liquidation bucket in the norm window also gives nulls: silence
   * of an unknown feed is not evidence of calm.
   */
  liquidationCoverage?: LiquidationCoverage;
}

export function emptyFeatureValues(): FeatureValues {
  return { ...NO_FEATURE_VALUES };
}

/**
 * Every feature null, written out in FEATURE_NAMES order: an object literal keeps its properties in fast mode, where
 * one built key by key (38 of them) turns into a dictionary that every read of the score pays for.
 */
const NO_FEATURE_VALUES: Readonly<FeatureValues> = Object.freeze({
  price: null,
  openInterestUsd: null,
  volume24hUsd: null,
  oiChange15m: null,
  oiChange1h: null,
  oiChange4h: null,
  oiChange24h: null,
  oiPeakBuildUp: null,
  oiFromPeak: null,
  oiToVolume24h: null,
  oiToDepth: null,
  depthUsd: null,
  depthThinning: null,
  fundingRate: null,
  fundingRatePerHour: null,
  fundingAnnualized: null,
  fundingZScore: null,
  basis: null,
  liqUsd5m: null,
  liqUsd15m: null,
  liqLongsUsd5m: null,
  liqShortsUsd5m: null,
  liqLongsUsd15m: null,
  liqShortsUsd15m: null,
  liqBaselineUsdPerMinute: null,
  liqSurge5m: null,
  liqSurge15m: null,
  liqSustainedSurge5m: null,
  liqSustainedSurge15m: null,
  realizedVol5m: null,
  realizedVol1h: null,
  volatilityRatio1h: null,
  priceChange5m: null,
  priceChange15m: null,
  priceChange1h: null,
  priceChange4h: null,
  priceChange24h: null,
  longShortAccountRatio: null,
});

/** A market's features with every value null, in the key order of MarketFeatures (identity, values, the rest). */
function blankFeatures(
  history: MarketHistory,
  now: number,
  snapshotAt: number | null,
  coverage: MarketFeatures['liquidationCoverage'],
): MarketFeatures {
  return {
    market: marketKey(history.exchange, history.symbol),
    exchange: history.exchange,
    symbol: history.symbol,
    at: now,
    snapshotAt,
    ...NO_FEATURE_VALUES,
    depthThinningSide: null,
    liquidationCoverage: coverage,
    missing: [],
  };
}

/** Features of `history`'s market at `now` (snapshots after `now` are ignored). */
export function computeFeatures(
  history: MarketHistory,
  now: number,
  context: FeatureContext = {},
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): MarketFeatures {
  const fp = params.features;
  const snaps = history.snapshots;
  const n = countUpTo(snaps, now);
  const coverage = context.liquidationCoverage ?? 'unknown';
  // The features are written straight into the result: one object per market and pass.
  const features = blankFeatures(history, now, n > 0 ? (snaps[n - 1] as Snapshot).at : null, coverage);
  const v: FeatureValues = features;
  const maxAge = fp.maxValueAgeMs;
  const tolerance = fp.lookbackTolerance;
  const normStart = now - fp.normWindowMs;
  const columns = snapshotColumns(features.market, snaps, n, fp.depth.thinningBandPercent);

  // Price and its changes.
  const priceIdx = latestIndex(snaps, n, now, maxAge, hasPrice);
  if (priceIdx >= 0) {
    v.price = priceOf(snaps[priceIdx] as Snapshot);
    v.priceChange5m = changeOver(snaps, priceIdx, 5 * MINUTE_MS, tolerance, priceOf);
    v.priceChange15m = changeOver(snaps, priceIdx, 15 * MINUTE_MS, tolerance, priceOf);
    v.priceChange1h = changeOver(snaps, priceIdx, HOUR_MS, tolerance, priceOf);
    v.priceChange4h = changeOver(snaps, priceIdx, 4 * HOUR_MS, tolerance, priceOf);
    v.priceChange24h = changeOver(snaps, priceIdx, 24 * HOUR_MS, tolerance, priceOf);
  }

  // Open interest.
  const oiUsdIdx = latestIndex(snaps, n, now, maxAge, hasOpenInterestUsd);
  if (oiUsdIdx >= 0) v.openInterestUsd = (snaps[oiUsdIdx] as Snapshot).openInterestUsd;
  const oiIdx = latestIndex(snaps, n, now, maxAge, hasOpenInterest);
  if (oiIdx >= 0) {
    v.oiChange15m = oiChangeOver(snaps, oiIdx, 15 * MINUTE_MS, tolerance);
    v.oiChange1h = oiChangeOver(snaps, oiIdx, HOUR_MS, tolerance);
    v.oiChange4h = oiChangeOver(snaps, oiIdx, 4 * HOUR_MS, tolerance);
    v.oiChange24h = oiChangeOver(snaps, oiIdx, 24 * HOUR_MS, tolerance);
    openInterestMemory(columns, oiIdx, v, params);
  }
  const volumeIdx = latestIndex(snaps, n, now, maxAge, hasVolume);
  if (volumeIdx >= 0) v.volume24hUsd = (snaps[volumeIdx] as Snapshot).volume24hUsd;
  if (v.openInterestUsd !== null && v.volume24hUsd !== null && v.volume24hUsd > 0) {
    v.oiToVolume24h = v.openInterestUsd / v.volume24hUsd;
  }

  // Depth.
  const oiBandIdx = latestBandIndex(snaps, n, now, maxAge, fp.depth.oiBandPercent);
  if (oiBandIdx >= 0 && v.openInterestUsd !== null) {
    const band = bandAt(snaps[oiBandIdx] as Snapshot, fp.depth.oiBandPercent);
    const depth = band === null ? 0 : band.bidUsd + band.askUsd;
    if (depth > 0) v.oiToDepth = v.openInterestUsd / depth;
  }
  let depthThinningSide: MarketFeatures['depthThinningSide'] = null;
  const thinIdx = latestBandIndex(snaps, n, now, maxAge, fp.depth.thinningBandPercent);
  if (thinIdx >= 0) {
    const current = bandAt(snaps[thinIdx] as Snapshot, fp.depth.thinningBandPercent);
    if (current !== null) {
      v.depthUsd = current.bidUsd + current.askUsd;
      const norm = depthNorm(columns, n, normStart, params);
      if (norm !== null) {
        const bidRatio = norm.bidUsd > 0 ? current.bidUsd / norm.bidUsd : null;
        const askRatio = norm.askUsd > 0 ? current.askUsd / norm.askUsd : null;
        if (bidRatio !== null && (askRatio === null || bidRatio <= askRatio)) {
          v.depthThinning = bidRatio;
          depthThinningSide = 'bid';
        } else if (askRatio !== null) {
          v.depthThinning = askRatio;
          depthThinningSide = 'ask';
        }
      }
    }
  }

  // Funding and basis.
  const fundingIdx = latestIndex(snaps, n, now, maxAge, hasFunding);
  if (fundingIdx >= 0) {
    const s = snaps[fundingIdx] as Snapshot;
    v.fundingRate = s.fundingRate;
    v.fundingRatePerHour = fundingPerHour(s);
    v.fundingAnnualized = fundingAnnualized(s);
    v.fundingZScore = fundingZScore(columns, n, normStart, v.fundingRatePerHour, params);
  }
  const basisIdx = latestIndex(snaps, n, now, maxAge, hasBasis);
  if (basisIdx >= 0) {
    const s = snaps[basisIdx] as Snapshot;
    v.basis = (s.markPrice as number) / (s.indexPrice as number) - 1;
  }
  const ratioIdx = latestIndex(snaps, n, now, fp.slowValueAgeMs, hasLongShortRatio);
  if (ratioIdx >= 0) v.longShortAccountRatio = (snaps[ratioIdx] as Snapshot).longShortAccountRatio;

  // Volatility.
  if (priceIdx >= 0) volatility(columns, n, priceIdx, v, params);

  // Liquidations.
  liquidationFeatures(history, features.market, n, now, coverage, v, params);

  features.depthThinningSide = depthThinningSide;
  features.missing = FEATURE_NAMES.filter((name) => v[name] === null);
  return features;
}

// What a fresh value is looked for by (the others in history.ts): created once, no closures per market.
const hasVolume = (s: Snapshot): boolean => s.volume24hUsd !== null;
const hasFunding = (s: Snapshot): boolean => fundingPerHour(s) !== null;
const hasBasis = (s: Snapshot): boolean => s.markPrice !== null && s.indexPrice !== null;

/** latestIndex for a snapshot holding the depth band `withinPercent`. */
function latestBandIndex(
  snaps: readonly Snapshot[],
  count: number,
  now: number,
  maxAgeMs: number,
  withinPercent: number,
): number {
  for (let i = count - 1; i >= 0; i--) {
    const s = snaps[i] as Snapshot;
    if (s.at < now - maxAgeMs) return -1;
    if (bandAt(s, withinPercent) !== null) return i;
  }
  return -1;
}

function hasOpenInterest(s: Snapshot): boolean {
  return s.openInterestContracts !== null || (s.openInterestUsd !== null && priceOf(s) !== null);
}

/** Relative change of `value` from the snapshot nearest to (current - window) to the current one. */
function changeOver(
  snaps: readonly Snapshot[],
  currentIdx: number,
  windowMs: number,
  tolerance: number,
  value: (s: Snapshot) => number | null,
): number | null {
  const current = snaps[currentIdx] as Snapshot;
  const refIdx = nearestIndex(snaps, currentIdx, current.at - windowMs, windowMs * tolerance, (s) => value(s) !== null);
  if (refIdx < 0) return null;
  const before = value(snaps[refIdx] as Snapshot) as number;
  const after = value(current);
  if (after === null || !(before > 0)) return null;
  return after / before - 1;
}

/**
 * Open interest change in coins between the snapshot nearest to (current - window) and the current one: USD over
 * mark price when both have it (the venue's USD figure moves with the price), else contracts.
 */
function oiChangeOver(
  snaps: readonly Snapshot[],
  currentIdx: number,
  windowMs: number,
  tolerance: number,
): number | null {
  const b = snaps[currentIdx] as Snapshot;
  const refIdx = nearestIndex(snaps, currentIdx, b.at - windowMs, windowMs * tolerance, hasOpenInterest);
  if (refIdx < 0) return null;
  const a = snaps[refIdx] as Snapshot;
  const pa = priceOf(a);
  const pb = priceOf(b);
  if (a.openInterestUsd !== null && b.openInterestUsd !== null && pa !== null && pb !== null) {
    const before = a.openInterestUsd / pa;
    return before > 0 ? b.openInterestUsd / pb / before - 1 : null;
  }
  if (a.openInterestContracts !== null && b.openInterestContracts !== null && a.openInterestContracts > 0) {
    return b.openInterestContracts / a.openInterestContracts - 1;
  }
  return null;
}

/**
 * The memory of a build-up: the peak of open interest over the peak window, how much was added into it since the
 * lowest point of the build-up window before it, and where open interest stands now against the peak. Measured
 * against the peak, an unwind's flush is seen whole, not against a present that is already collapsing.
 */
function openInterestMemory(cols: SnapshotColumns, currentIdx: number, v: FeatureValues, params: RiskParameters): void {
  const op = params.features.openInterest;
  // Open interest in coins (USD over price) when the current snapshot has them, else contracts: the unit is fixed
  // by the current snapshot, so a window never mixes the two.
  const coinsMode = cols.hasCoins[currentIdx] === 1;
  const units = coinsMode ? cols.coins : cols.contracts;
  const has = coinsMode ? cols.hasCoins : cols.hasContracts;
  const at = cols.at;
  if (has[currentIdx] !== 1) return;
  const now = units[currentIdx] as number;
  const currentAt = at[currentIdx] as number;
  let peak = now;
  let peakIdx = currentIdx;
  for (let i = currentIdx; i >= 0; i--) {
    if ((at[i] as number) < currentAt - op.peakWindowMs) break;
    if (has[i] === 1 && (units[i] as number) > peak) {
      peak = units[i] as number;
      peakIdx = i;
    }
  }
  if (!(peak > 0)) return;
  v.oiFromPeak = now / peak - 1;
  const peakAt = at[peakIdx] as number;
  let low: number | null = null;
  let earliest = peakAt;
  for (let i = peakIdx; i >= 0; i--) {
    if ((at[i] as number) < peakAt - op.buildUpWindowMs) break;
    if (has[i] !== 1) continue;
    earliest = at[i] as number;
    const value = units[i] as number;
    if (low === null || value < low) low = value;
  }
  if (low !== null && low > 0 && peakAt - earliest >= op.minBuildUpSpanMs) v.oiPeakBuildUp = peak / low - 1;
}

/**
 * Funding per hour against its time-weighted mean and standard deviation (floored) over the norm window: the
 * arithmetic of `timeWeights` and `weightedMeanStd` in the same order, on reused buffers.
 */
function fundingZScore(
  cols: SnapshotColumns,
  n: number,
  normStart: number,
  current: number | null,
  params: RiskParameters,
): number | null {
  if (current === null) return null;
  const fp = params.features.funding;
  const values = fundingValues.take(n);
  const times = fundingTimes.take(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if ((cols.at[i] as number) < normStart || cols.hasFunding[i] !== 1) continue;
    values[count] = cols.funding[i] as number;
    times[count] = cols.at[i] as number;
    count++;
  }
  if (count === 0 || count < fp.minSamples || (times[count - 1] as number) - (times[0] as number) < fp.minSpanMs) {
    return null;
  }
  const capMs = params.features.maxValueAgeMs;
  let total = 0;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const w = timeWeightAt(times, count, i, capMs);
    total += w;
    sum += w * (values[i] as number);
  }
  if (!(total > 0)) return null;
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < count; i++) {
    const d = (values[i] as number) - mean;
    sq += timeWeightAt(times, count, i, capMs) * d * d;
  }
  const std = Math.sqrt(sq / total);
  return (current - mean) / Math.max(std, fp.stdFloorPerHour);
}

/**
 * The weight `timeWeights` gives observation i of `count` at ascending `times`: the interval since the one before,
 * capped; the first takes the second's; a lone one weighs 1.
 */
function timeWeightAt(times: Float64Array, count: number, i: number, capMs: number): number {
  if (count === 1) return 1;
  const at = i === 0 ? 1 : i;
  return Math.min(capMs, (times[at] as number) - (times[at - 1] as number));
}

/**
 * Medians of bid and ask depth within the thinning band over the norm window, read on the volatility grid (the
 * latest observation at or before each grid time, if fresh), so the fine tier's 30 s points do not outweigh the
 * coarse tier's 5 min ones: each stretch of time counts alike.
 */
function depthNorm(
  cols: SnapshotColumns,
  n: number,
  normStart: number,
  params: RiskParameters,
): { bidUsd: number; askUsd: number } | null {
  const dp = params.features.depth;
  const times = depthTimes.take(n);
  const bids = depthBids.take(n);
  const asks = depthAsks.take(n);
  let count = 0;
  // The thinning band's columns (`cols` was read for dp.thinningBandPercent).
  for (let i = 0; i < n; i++) {
    if ((cols.at[i] as number) < normStart || cols.hasBand[i] !== 1) continue;
    times[count] = cols.at[i] as number;
    bids[count] = cols.bandBid[i] as number;
    asks[count] = cols.bandAsk[i] as number;
    count++;
  }
  if (count === 0) return null;
  const first = times[0] as number;
  const last = times[count - 1] as number;
  if (count < dp.minSamples || last - first < dp.minSpanMs) return null;
  const gridMs = params.features.volatility.gridMs;
  const maxAge = params.features.maxValueAgeMs;
  const points = Math.floor((last - first) / gridMs) + 1;
  const gridBids = depthGridBids.take(points);
  const gridAsks = depthGridAsks.take(points);
  let gridCount = 0;
  let j = count - 1;
  for (let t = last; t >= first; t -= gridMs) {
    while (j >= 0 && (times[j] as number) > t) j--;
    if (j < 0) break;
    if ((times[j] as number) < t - maxAge) continue;
    gridBids[gridCount] = bids[j] as number;
    gridAsks[gridCount] = asks[j] as number;
    gridCount++;
  }
  const bidUsd = medianInPlace(gridBids, gridCount);
  const askUsd = medianInPlace(gridAsks, gridCount);
  return bidUsd === null || askUsd === null ? null : { bidUsd, askUsd };
}

/**
 * Realized volatility: over the last 5 min from every snapshot (the fine tier), and over 1 h and the norm window
 * on a common grid (`volatility.gridMs`), so their ratio does not depend on the store's two resolutions.
 */
function volatility(
  cols: SnapshotColumns,
  n: number,
  priceIdx: number,
  v: FeatureValues,
  params: RiskParameters,
): void {
  const vp = params.features.volatility;
  const endAt = cols.at[priceIdx] as number;
  const end = Math.min(priceIdx + 1, n);
  const times = volatilityTimes.take(end);
  const prices = volatilityPrices.take(end);
  let count = 0;
  for (let i = 0; i < end; i++) {
    if (cols.hasPrice[i] !== 1 || (cols.at[i] as number) < endAt - params.features.normWindowMs - vp.gridMs) continue;
    times[count] = cols.at[i] as number;
    prices[count] = cols.price[i] as number;
    count++;
  }

  // 5 min, every snapshot.
  let sum = 0;
  let returns = 0;
  for (let i = count - 1; i > 0 && (times[i - 1] as number) >= endAt - 5 * MINUTE_MS; i--) {
    const r = Math.log((prices[i] as number) / (prices[i - 1] as number));
    sum += r * r;
    returns++;
  }
  if (returns >= vp.minReturnsShort) v.realizedVol5m = Math.sqrt(sum);

  // Grid: price at endAt - k x grid (the latest at or before, if no older than two grid steps); the index of the
  // snapshot it reads, -1 for none.
  const steps = Math.floor(params.features.normWindowMs / vp.gridMs);
  const grid = volatilityGrid.take(steps + 1);
  let j = count - 1;
  for (let k = 0; k <= steps; k++) {
    const t = endAt - k * vp.gridMs;
    while (j >= 0 && (times[j] as number) > t) j--;
    grid[k] = j >= 0 && (times[j] as number) >= t - 2 * vp.gridMs ? j : -1;
  }
  const perHour = Math.round(HOUR_MS / vp.gridMs);
  const hour = meanSquaredReturn(grid, prices, steps, 0, perHour);
  if (hour.count >= Math.ceil(perHour * 0.75)) {
    v.realizedVol1h = Math.sqrt(hour.mean * perHour);
    const norm = meanSquaredReturn(grid, prices, steps, perHour, steps); // the norm before the hour it judges
    if (norm.count * vp.gridMs >= vp.minBaselineSpanMs && norm.mean > 0) {
      v.volatilityRatio1h = Math.sqrt(hour.mean / norm.mean);
    }
  }
}

/**
 * The mean of the squared log returns between grid points k + 1 and k, for k in [from, min(to, steps)), over those
 * whose both points have a price (`grid` holds the index into `prices`, -1 for none), and how many had.
 */
function meanSquaredReturn(
  grid: Float64Array,
  prices: Float64Array,
  steps: number,
  from: number,
  to: number,
): { mean: number; count: number } {
  let total = 0;
  let count = 0;
  for (let k = from; k < to && k < steps; k++) {
    const a = grid[k + 1] as number;
    const b = grid[k] as number;
    if (a < 0 || b < 0) continue;
    total += Math.log((prices[b] as number) / (prices[a] as number)) ** 2;
    count++;
  }
  return { mean: count > 0 ? total / count : 0, count };
}

/** Liquidation sums over the short and long windows and their surge over the market's own baseline. */
function liquidationFeatures(
  history: MarketHistory,
  key: MarketKey,
  n: number,
  now: number,
  coverage: LiquidationCoverage | 'unknown',
  v: FeatureValues,
  params: RiskParameters,
): void {
  const lp = params.features.liquidations;
  const normStart = now - params.features.normWindowMs;
  const baselineEnd = now - lp.longWindowMs;
  if (coverage === 'not streamed') return;
  let any = false;
  let longs5 = 0;
  let shorts5 = 0;
  let longs15 = 0;
  let shorts15 = 0;
  let baselineUsd = 0;
  const perMinute = new Map<number, number>();
  const buckets = bucketColumns(key, history.liquidationBuckets);
  for (let i = 0; i < buckets.count; i++) {
    const minuteAt = buckets.minuteAt[i] as number;
    if (minuteAt > now || minuteAt <= normStart) continue;
    any = true;
    const long = buckets.long[i] === 1;
    const sizeUsd = buckets.sizeUsd[i] as number;
    if (minuteAt > now - lp.shortWindowMs) {
      if (long) longs5 += sizeUsd;
      else shorts5 += sizeUsd;
    }
    if (minuteAt > baselineEnd) {
      perMinute.set(minuteAt, (perMinute.get(minuteAt) ?? 0) + sizeUsd);
      if (long) longs15 += sizeUsd;
      else shorts15 += sizeUsd;
    } else {
      baselineUsd += sizeUsd;
    }
  }
  if (coverage === 'unknown' && !any) return;
  v.liqLongsUsd5m = longs5;
  v.liqShortsUsd5m = shorts5;
  v.liqLongsUsd15m = longs15;
  v.liqShortsUsd15m = shorts15;
  v.liqUsd5m = longs5 + shorts5;
  v.liqUsd15m = longs15 + shorts15;

  // The baseline covers the norm window before the long window, from when the history starts; the floor needs
  // open interest, so without it there is no surge (a missing value must not shrink the floor).
  const first = history.snapshots[0];
  if (n === 0 || first === undefined || v.openInterestUsd === null) return;
  const baselineMs = baselineEnd - Math.max(normStart, first.at);
  // Too short a history to know the market's own rate: measure against the floor alone, which is calibrated on
  // published averages of forced liquidations, rather than see nothing while a market starts to liquidate.
  const ownRate = baselineMs >= lp.minBaselineMs ? baselineUsd / (baselineMs / MINUTE_MS) : 0;
  const baseline = Math.max(ownRate, lp.floorUsdPerMinute, lp.floorOiFractionPerMinute * v.openInterestUsd);
  if (!(baseline > 0)) return;
  v.liqBaselineUsdPerMinute = baseline;
  v.liqSurge5m = v.liqUsd5m / (lp.shortWindowMs / MINUTE_MS) / baseline;
  v.liqSurge15m = v.liqUsd15m / (lp.longWindowMs / MINUTE_MS) / baseline;
  // No minute counts for more than the next largest one: a lone print is cut to the trickle around it, while the
  // first minutes of a cascade (each larger than the one before) lose little.
  const sustained = (windowMs: number, total: number): number => {
    let largest = 0;
    let second = 0;
    for (const [minuteAt, usd] of perMinute) {
      if (minuteAt <= now - windowMs) continue;
      if (usd > largest) {
        second = largest;
        largest = usd;
      } else if (usd > second) second = usd;
    }
    return (total - largest + second) / (windowMs / MINUTE_MS) / baseline;
  };
  v.liqSustainedSurge5m = sustained(lp.shortWindowMs, v.liqUsd5m);
  v.liqSustainedSurge15m = sustained(lp.longWindowMs, v.liqUsd15m);
}

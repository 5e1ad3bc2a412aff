// Features of one market at time `now`, read from its history window. Every feature is a number or null: null
// when an input is missing, stale or too short a history to judge, never 0 in its place. docs/risk.md lists
// what each one means.
import { marketKey } from '../domain/market.js';
import type { ExchangeId, LiquidationCoverage, MarketHistory, MarketKey, Snapshot } from '../domain/market.js';
import { bandAt, countUpTo, fundingAnnualized, fundingPerHour, latestIndex, nearestIndex, priceOf } from './history.js';
import { median, timeWeights, weightedMeanStd } from './math.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

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
  const values = {} as FeatureValues;
  for (const name of FEATURE_NAMES) values[name] = null;
  return values;
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
  const v = emptyFeatureValues();
  const fresh = (has: (s: Snapshot) => boolean): number => latestIndex(snaps, n, now, fp.maxValueAgeMs, has);
  const normStart = now - fp.normWindowMs;

  // Price and its changes.
  const priceIdx = fresh((s) => priceOf(s) !== null);
  if (priceIdx >= 0) {
    v.price = priceOf(snaps[priceIdx] as Snapshot);
    const change = (windowMs: number): number | null =>
      changeOver(snaps, priceIdx, windowMs, fp.lookbackTolerance, priceOf);
    v.priceChange5m = change(5 * MINUTE_MS);
    v.priceChange15m = change(15 * MINUTE_MS);
    v.priceChange1h = change(HOUR_MS);
    v.priceChange4h = change(4 * HOUR_MS);
    v.priceChange24h = change(24 * HOUR_MS);
  }

  // Open interest.
  const oiUsdIdx = fresh((s) => s.openInterestUsd !== null);
  if (oiUsdIdx >= 0) v.openInterestUsd = (snaps[oiUsdIdx] as Snapshot).openInterestUsd;
  const oiIdx = fresh(hasOpenInterest);
  if (oiIdx >= 0) {
    const change = (windowMs: number): number | null => oiChangeOver(snaps, oiIdx, windowMs, fp.lookbackTolerance);
    v.oiChange15m = change(15 * MINUTE_MS);
    v.oiChange1h = change(HOUR_MS);
    v.oiChange4h = change(4 * HOUR_MS);
    v.oiChange24h = change(24 * HOUR_MS);
    openInterestMemory(snaps, oiIdx, v, params);
  }
  const volumeIdx = fresh((s) => s.volume24hUsd !== null);
  if (volumeIdx >= 0) v.volume24hUsd = (snaps[volumeIdx] as Snapshot).volume24hUsd;
  if (v.openInterestUsd !== null && v.volume24hUsd !== null && v.volume24hUsd > 0) {
    v.oiToVolume24h = v.openInterestUsd / v.volume24hUsd;
  }

  // Depth.
  const oiBandIdx = fresh((s) => bandAt(s, fp.depth.oiBandPercent) !== null);
  if (oiBandIdx >= 0 && v.openInterestUsd !== null) {
    const band = bandAt(snaps[oiBandIdx] as Snapshot, fp.depth.oiBandPercent);
    const depth = band === null ? 0 : band.bidUsd + band.askUsd;
    if (depth > 0) v.oiToDepth = v.openInterestUsd / depth;
  }
  let depthThinningSide: MarketFeatures['depthThinningSide'] = null;
  const thinIdx = fresh((s) => bandAt(s, fp.depth.thinningBandPercent) !== null);
  if (thinIdx >= 0) {
    const current = bandAt(snaps[thinIdx] as Snapshot, fp.depth.thinningBandPercent);
    if (current !== null) {
      v.depthUsd = current.bidUsd + current.askUsd;
      const norm = depthNorm(snaps, n, normStart, params);
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
  const fundingIdx = fresh((s) => fundingPerHour(s) !== null);
  if (fundingIdx >= 0) {
    const s = snaps[fundingIdx] as Snapshot;
    v.fundingRate = s.fundingRate;
    v.fundingRatePerHour = fundingPerHour(s);
    v.fundingAnnualized = fundingAnnualized(s);
    v.fundingZScore = fundingZScore(snaps, n, normStart, v.fundingRatePerHour, params);
  }
  const basisIdx = fresh((s) => s.markPrice !== null && s.indexPrice !== null);
  if (basisIdx >= 0) {
    const s = snaps[basisIdx] as Snapshot;
    v.basis = (s.markPrice as number) / (s.indexPrice as number) - 1;
  }
  const ratioIdx = latestIndex(snaps, n, now, fp.slowValueAgeMs, (s) => s.longShortAccountRatio !== null);
  if (ratioIdx >= 0) v.longShortAccountRatio = (snaps[ratioIdx] as Snapshot).longShortAccountRatio;

  // Volatility.
  if (priceIdx >= 0) volatility(snaps, n, priceIdx, v, params);

  // Liquidations.
  const coverage = context.liquidationCoverage ?? 'unknown';
  liquidationFeatures(history, n, now, coverage, v, params);

  const missing = FEATURE_NAMES.filter((name) => v[name] === null);
  return {
    market: marketKey(history.exchange, history.symbol),
    exchange: history.exchange,
    symbol: history.symbol,
    at: now,
    snapshotAt: n > 0 ? (snaps[n - 1] as Snapshot).at : null,
    ...v,
    depthThinningSide,
    liquidationCoverage: coverage,
    missing,
  };
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
 * Open interest in coins for a window: USD over price when the snapshot has both, else contracts. `mode` is fixed
 * by the current snapshot so a window never mixes the two units.
 */
function oiUnits(s: Snapshot, mode: 'coins' | 'contracts'): number | null {
  if (mode === 'contracts') return s.openInterestContracts;
  const price = priceOf(s);
  return s.openInterestUsd !== null && price !== null && price > 0 ? s.openInterestUsd / price : null;
}

/**
 * The memory of a build-up: the peak of open interest over the peak window, how much was added into it since the
 * lowest point of the build-up window before it, and where open interest stands now against the peak. Measured
 * against the peak, an unwind's flush is seen whole, not against a present that is already collapsing.
 */
function openInterestMemory(
  snaps: readonly Snapshot[],
  currentIdx: number,
  v: FeatureValues,
  params: RiskParameters,
): void {
  const op = params.features.openInterest;
  const current = snaps[currentIdx] as Snapshot;
  const mode = oiUnits(current, 'coins') !== null ? 'coins' : 'contracts';
  const now = oiUnits(current, mode);
  if (now === null) return;
  let peak = now;
  let peakIdx = currentIdx;
  for (let i = currentIdx; i >= 0; i--) {
    const s = snaps[i] as Snapshot;
    if (s.at < current.at - op.peakWindowMs) break;
    const units = oiUnits(s, mode);
    if (units !== null && units > peak) {
      peak = units;
      peakIdx = i;
    }
  }
  if (!(peak > 0)) return;
  v.oiFromPeak = now / peak - 1;
  const peakAt = (snaps[peakIdx] as Snapshot).at;
  let low: number | null = null;
  let earliest = peakAt;
  for (let i = peakIdx; i >= 0; i--) {
    const s = snaps[i] as Snapshot;
    if (s.at < peakAt - op.buildUpWindowMs) break;
    const units = oiUnits(s, mode);
    if (units === null) continue;
    earliest = s.at;
    if (low === null || units < low) low = units;
  }
  if (low !== null && low > 0 && peakAt - earliest >= op.minBuildUpSpanMs) v.oiPeakBuildUp = peak / low - 1;
}

/** Funding per hour against its time-weighted mean and standard deviation (floored) over the norm window. */
function fundingZScore(
  snaps: readonly Snapshot[],
  n: number,
  normStart: number,
  current: number | null,
  params: RiskParameters,
): number | null {
  if (current === null) return null;
  const fp = params.features.funding;
  const values: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = snaps[i] as Snapshot;
    if (s.at < normStart) continue;
    const rate = fundingPerHour(s);
    if (rate === null) continue;
    values.push(rate);
    times.push(s.at);
  }
  const first = times[0];
  const last = times[times.length - 1];
  if (values.length < fp.minSamples || first === undefined || last === undefined || last - first < fp.minSpanMs) {
    return null;
  }
  const stats = weightedMeanStd(values, timeWeights(times, params.features.maxValueAgeMs));
  if (stats === null) return null;
  return (current - stats.mean) / Math.max(stats.std, fp.stdFloorPerHour);
}

/**
 * Medians of bid and ask depth within the thinning band over the norm window, read on the volatility grid (the
 * latest observation at or before each grid time, if fresh), so the fine tier's 30 s points do not outweigh the
 * coarse tier's 5 min ones: each stretch of time counts alike.
 */
function depthNorm(
  snaps: readonly Snapshot[],
  n: number,
  normStart: number,
  params: RiskParameters,
): { bidUsd: number; askUsd: number } | null {
  const dp = params.features.depth;
  const bids: number[] = [];
  const asks: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = snaps[i] as Snapshot;
    if (s.at < normStart) continue;
    const band = bandAt(s, dp.thinningBandPercent);
    if (band === null) continue;
    bids.push(band.bidUsd);
    asks.push(band.askUsd);
    times.push(s.at);
  }
  const first = times[0];
  const last = times[times.length - 1];
  if (times.length < dp.minSamples || first === undefined || last === undefined || last - first < dp.minSpanMs) {
    return null;
  }
  const gridMs = params.features.volatility.gridMs;
  const maxAge = params.features.maxValueAgeMs;
  const gridBids: number[] = [];
  const gridAsks: number[] = [];
  let j = times.length - 1;
  for (let t = last; t >= first; t -= gridMs) {
    while (j >= 0 && (times[j] as number) > t) j--;
    if (j < 0) break;
    if ((times[j] as number) < t - maxAge) continue;
    gridBids.push(bids[j] as number);
    gridAsks.push(asks[j] as number);
  }
  const bidUsd = median(gridBids);
  const askUsd = median(gridAsks);
  return bidUsd === null || askUsd === null ? null : { bidUsd, askUsd };
}

/**
 * Realized volatility: over the last 5 min from every snapshot (the fine tier), and over 1 h and the norm window
 * on a common grid (`volatility.gridMs`), so their ratio does not depend on the store's two resolutions.
 */
function volatility(
  snaps: readonly Snapshot[],
  n: number,
  priceIdx: number,
  v: FeatureValues,
  params: RiskParameters,
): void {
  const vp = params.features.volatility;
  const endAt = (snaps[priceIdx] as Snapshot).at;
  const times: number[] = [];
  const prices: number[] = [];
  for (let i = 0; i <= priceIdx && i < n; i++) {
    const s = snaps[i] as Snapshot;
    const p = priceOf(s);
    if (p === null || s.at < endAt - params.features.normWindowMs - vp.gridMs) continue;
    times.push(s.at);
    prices.push(p);
  }

  // 5 min, every snapshot.
  let sum = 0;
  let returns = 0;
  for (let i = times.length - 1; i > 0 && (times[i - 1] as number) >= endAt - 5 * MINUTE_MS; i--) {
    const r = Math.log((prices[i] as number) / (prices[i - 1] as number));
    sum += r * r;
    returns++;
  }
  if (returns >= vp.minReturnsShort) v.realizedVol5m = Math.sqrt(sum);

  // Grid: price at endAt - k x grid (the latest at or before, if no older than two grid steps).
  const steps = Math.floor(params.features.normWindowMs / vp.gridMs);
  const grid: (number | null)[] = [];
  let j = times.length - 1;
  for (let k = 0; k <= steps; k++) {
    const t = endAt - k * vp.gridMs;
    while (j >= 0 && (times[j] as number) > t) j--;
    grid.push(j >= 0 && (times[j] as number) >= t - 2 * vp.gridMs ? (prices[j] as number) : null);
  }
  const squares: (number | null)[] = [];
  for (let k = 0; k < steps; k++) {
    const a = grid[k + 1];
    const b = grid[k];
    squares.push(a === null || a === undefined || b === null || b === undefined ? null : Math.log(b / a) ** 2);
  }
  const perHour = Math.round(HOUR_MS / vp.gridMs);
  const mean = (from: number, to: number): { mean: number; count: number } => {
    let total = 0;
    let count = 0;
    for (let k = from; k < to && k < squares.length; k++) {
      const sq = squares[k];
      if (sq === null || sq === undefined) continue;
      total += sq;
      count++;
    }
    return { mean: count > 0 ? total / count : 0, count };
  };
  const hour = mean(0, perHour);
  if (hour.count >= Math.ceil(perHour * 0.75)) {
    v.realizedVol1h = Math.sqrt(hour.mean * perHour);
    const norm = mean(perHour, squares.length); // the norm before the hour it judges
    if (norm.count * vp.gridMs >= vp.minBaselineSpanMs && norm.mean > 0) {
      v.volatilityRatio1h = Math.sqrt(hour.mean / norm.mean);
    }
  }
}

/** Liquidation sums over the short and long windows and their surge over the market's own baseline. */
function liquidationFeatures(
  history: MarketHistory,
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
  for (const bucket of history.liquidationBuckets) {
    if (bucket.minuteAt > now || bucket.minuteAt <= normStart) continue;
    any = true;
    const long = bucket.side === 'long';
    if (bucket.minuteAt > now - lp.shortWindowMs) {
      if (long) longs5 += bucket.sizeUsd;
      else shorts5 += bucket.sizeUsd;
    }
    if (bucket.minuteAt > baselineEnd) {
      perMinute.set(bucket.minuteAt, (perMinute.get(bucket.minuteAt) ?? 0) + bucket.sizeUsd);
      if (long) longs15 += bucket.sizeUsd;
      else shorts15 += bucket.sizeUsd;
    } else {
      baselineUsd += bucket.sizeUsd;
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

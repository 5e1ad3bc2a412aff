// The liquidation cascade estimator. From a market's history it estimates where open positions were entered and,
// through an assumed leverage mix, where they would be liquidated (the liquidation profile). A shock then moves
// the price; positions whose liquidation price it crosses are closed into the recorded book, which moves the price
// further, round after round until no new level is crossed. Everything here is an estimate under the assumptions
// it lists; docs/risk.md derives the model.
import { marketKey } from '../domain/market.js';
import type { ExchangeId, LeverageTier, MarketHistory, MarketKey, Snapshot } from '../domain/market.js';
import { price as formatPrice, duration, percent, usd } from '../domain/format.js';
import { countUpTo, hasLongShortRatio, hasOpenInterestUsd, hasPrice, latestIndex, priceOf } from './history.js';
import { depthCurveFromBands, depthWithin, flatDepthCurve, impactOf } from './impact.js';
import type { DepthCurve } from './impact.js';
import { snapshotColumns, type SnapshotColumns } from './columns.js';
import { ScratchBuffer, countAtOrBelow } from './math.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { LeverageBucket, MarginTier, RiskParameters } from './parameters.js';

export type ShockDirection = 'down' | 'up';

/** A shock: a move of `shock` (a positive fraction, 0.05 = 5%) in `direction`. */
export interface CascadeShock {
  shock: number;
  direction: ShockDirection;
}

/** Liquidation levels of one side, ascending by distance from the current price. */
export interface SideLevels {
  /** Distance of each level from the current price, as a fraction (below it for longs, above for shorts). */
  distances: Float64Array;
  /** USD liquidated once the price has moved by each distance (cumulative, at the current mark price). */
  cumulativeUsd: Float64Array;
  totalUsd: number;
}

export type DepthSource = 'book' | 'volume' | 'open interest';

/** What the estimator knows of one market, computed once per snapshot; a shock is then a cheap walk. */
export interface LiquidationProfile {
  ok: true;
  market: MarketKey;
  exchange: ExchangeId;
  symbol: string;
  /** Time of the state described (the `now` it was built for). */
  at: number;
  price: number;
  openInterestUsd: number;
  longShare: number;
  longShortAccountRatio: number | null;
  maintenanceMarginRate: number;
  maintenanceMarginSource: 'venue tiers' | 'default';
  leverageBuckets: LeverageBucket[];
  longs: SideLevels;
  shorts: SideLevels;
  /** Bids absorb forced sells (longs liquidated); asks absorb forced buys (shorts liquidated). */
  bids: DepthCurve;
  asks: DepthCurve;
  depthSource: DepthSource;
  /** When the book used was recorded (null for the fallbacks). */
  depthAt: number | null;
  /** The history the entry distribution was estimated from, and the price the opening positions were spread around. */
  entryWindow: { fromAt: number; toAt: number; observations: number; openingPrice: number };
  /** Sides whose every modelled level the price had already crossed (none remain to estimate). */
  exhausted: { long: boolean; short: boolean };
}

export interface CascadeUnavailable {
  ok: false;
  market: MarketKey;
  reason: string;
}

export interface ProfileOptions {
  /**
   * The venue's maintenance margin tiers for this market, when it publishes them: as `{ maxNotionalUsd,
   * maintenanceMarginRate }` or as the market module's leverage tiers (caps in base units are valued at the price).
   */
  marginTiers?: readonly (MarginTier | LeverageTier)[];
  /** The current state, when newer than the history's last snapshot (history at or before it is used). */
  snapshot?: Snapshot;
}

export interface CascadeRound {
  round: number;
  priceBefore: number;
  priceAfter: number;
  /** USD liquidated in this round (newly crossed levels). */
  liquidatedUsd: number;
  cumulativeLiquidatedUsd: number;
  /** Move this round's forced orders added, as a fraction of the start price. */
  impact: number;
}

export interface LiquidationBand {
  /** Band edges relative to the current price, fractions (-0.1 to -0.095 is the lowest default band). */
  fromChange: number;
  toChange: number;
  fromPrice: number;
  toPrice: number;
  /** Long positions liquidated if the price falls into the band, USD. */
  longUsd: number;
  /** Short positions liquidated if the price rises into the band, USD. */
  shortUsd: number;
}

export interface LiquidationLevels {
  bandWidth: number;
  bands: LiquidationBand[];
  longUsdInRange: number;
  shortUsdInRange: number;
  /** Levels farther than the map reaches. */
  longUsdBeyond: number;
  shortUsdBeyond: number;
}

export interface CascadeEstimate {
  ok: true;
  /** Always true: an estimate under the listed assumptions, never a measurement. */
  estimate: true;
  market: MarketKey;
  exchange: ExchangeId;
  symbol: string;
  at: number;
  direction: ShockDirection;
  /** The initial move, a positive fraction in `direction`. */
  shock: number;
  startPrice: number;
  finalPrice: number;
  /** The total move, a positive fraction in `direction` (>= shock). */
  totalMove: number;
  /** totalMove / shock: 1 means the liquidations added nothing. */
  amplification: number;
  liquidatedUsd: number;
  longLiquidatedUsd: number;
  shortLiquidatedUsd: number;
  /** liquidatedUsd over open interest. */
  liquidatedShareOfOi: number;
  rounds: number;
  /** True when the round limit stopped the walk with levels still being crossed. */
  roundLimitReached: boolean;
  path: CascadeRound[];
  levels: LiquidationLevels;
  inputs: {
    openInterestUsd: number;
    longShare: number;
    longShortAccountRatio: number | null;
    maintenanceMarginRate: number;
    maintenanceMarginSource: LiquidationProfile['maintenanceMarginSource'];
    leverageBuckets: LeverageBucket[];
    depthSource: DepthSource;
    depthAt: number | null;
    /** Depth within the curve's deepest distance on the side that absorbs the forced orders, USD. */
    absorbingDepthUsd: number;
    absorbingDepthWithin: number;
    entryWindow: LiquidationProfile['entryWindow'];
  };
  assumptions: string[];
}

export interface CascadeInput extends ProfileOptions {
  history: MarketHistory;
  now: number;
  /** The initial move, a positive fraction; 0.05 when not given. */
  shock?: number;
  /** 'down' (longs liquidated) unless 'up' (a short squeeze). */
  direction?: ShockDirection;
  /** A profile already built for this market and time (the stress grid and the score build one). */
  profile?: LiquidationProfile;
}

/** The shock a cascade estimate uses when none is given. */
export const DEFAULT_SHOCK = 0.05;

/**
 * How the estimator's amounts were calibrated, for replies: "(estimate, calibrated on ...)" after a cascade figure.
 * test/risk/calibration.test.ts pins the calibration; docs/risk.md gives the figures.
 */
export const CASCADE_CALIBRATION = 'calibrated on 2025-10-10 and 2021-05-19';
/** The parenthesis a one-line cascade figure ends with. */
export const CASCADE_ESTIMATE_NOTE = `(estimate, ${CASCADE_CALIBRATION})`;

// What the latest fresh value is looked for by (created once: a profile per market and pass makes no closures).
const hasVolume = (s: Snapshot): boolean => s.volume24hUsd !== null && s.volume24hUsd > 0;
const hasBook = (s: Snapshot): boolean => s.depthBands !== null && s.depthBands.length > 0;

/** Builds the liquidation profile of `history`'s market at `now`, or says why it cannot. */
export function buildLiquidationProfile(
  history: MarketHistory,
  now: number,
  options: ProfileOptions = {},
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): LiquidationProfile | CascadeUnavailable {
  const cp = params.cascade;
  const fp = params.features;
  const market = marketKey(history.exchange, history.symbol);
  const snaps = windowSnapshots(history, now, options.snapshot);
  const n = snaps.length;
  const at = options.snapshot?.at ?? now;

  const priceIdx = latestIndex(snaps, n, at, fp.maxValueAgeMs, hasPrice);
  if (priceIdx < 0) return { ok: false, market, reason: `no price in the last ${duration(fp.maxValueAgeMs)}` };
  const price = priceOf(snaps[priceIdx] as Snapshot) as number;
  const oiIdx = latestIndex(snaps, n, at, fp.maxValueAgeMs, hasOpenInterestUsd);
  if (oiIdx < 0) return { ok: false, market, reason: `no open interest in the last ${duration(fp.maxValueAgeMs)}` };
  const openInterestUsd = (snaps[oiIdx] as Snapshot).openInterestUsd as number;

  // Long/short split.
  const ratioIdx = latestIndex(snaps, n, at, fp.slowValueAgeMs, hasLongShortRatio);
  const ratio = ratioIdx >= 0 ? ((snaps[ratioIdx] as Snapshot).longShortAccountRatio as number) : null;
  const longShare = ratio === null ? 0.5 : ratio / (1 + ratio);

  // Maintenance margin and leverage mix.
  const margin = maintenanceMargin(options.marginTiers, price, params);
  const buckets = foldBuckets(cp.leverageBuckets, margin.maxLeverage);

  // Entry distribution, levels, depth.
  const columns = snapshotColumns(market, snaps, n, fp.depth.thinningBandPercent);
  const entries = estimateLevels(snaps, columns, n, price, longShare, buckets, margin.rate, openInterestUsd, params);
  const depth = depthCurves(snaps, n, at, openInterestUsd, params);

  return {
    ok: true,
    market,
    exchange: history.exchange,
    symbol: history.symbol,
    at,
    price,
    openInterestUsd,
    longShare,
    longShortAccountRatio: ratio,
    maintenanceMarginRate: margin.rate,
    maintenanceMarginSource: margin.source,
    leverageBuckets: buckets,
    longs: entries.longs,
    shorts: entries.shorts,
    bids: depth.bids,
    asks: depth.asks,
    depthSource: depth.source,
    depthAt: depth.at,
    entryWindow: entries.window,
    exhausted: entries.exhausted,
  };
}

/** The assumptions behind a profile, as sentences for a reply (built on demand: the hot path needs none). */
export function profileAssumptions(
  profile: LiquidationProfile,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): string[] {
  const cp = params.cascade;
  const out: string[] = [
    `An estimate, not a forecast (${CASCADE_CALIBRATION}): where liquidation levels would sit under the ` +
      'assumptions below. Read the amounts as relative; the bot cannot see real positions.',
  ];
  const ratio = profile.longShortAccountRatio;
  const longPercent = Math.round(profile.longShare * 100);
  out.push(
    ratio === null
      ? 'Long/short split 50/50 (no long/short account ratio).'
      : `Long/short split ${longPercent}/${100 - longPercent} from the long/short account ratio ${ratio.toFixed(2)}; ` +
          'both sides hold the same open interest, so the split stands for which side holds the liquidatable ' +
          'positions.',
  );
  const mix = profile.leverageBuckets.map((b) => `${b.leverage}x ${Math.round(b.weight * 100)}%`).join(', ');
  const hedged =
    cp.hedgedShare > 0
      ? `${Math.round(cp.hedgedShare * 100)}% of each side is taken as hedged or fully collateralised (never ` +
        'liquidated by a move); the rest has the leverage mix '
      : 'Leverage mix ';
  out.push(
    `${hedged}${mix} on both sides; isolated margin, linear perpetual: long liquidation = ` +
      'entry × (1 - 1/L + MMR + fee), short = entry × (1 + 1/L - MMR - fee).',
  );
  const mmr = percent(profile.maintenanceMarginRate);
  out.push(
    profile.maintenanceMarginSource === 'venue tiers'
      ? `Maintenance margin ${mmr}: the venue's tier for a ${usd(cp.representativePositionUsd)} position.`
      : `Maintenance margin ${mmr} (a default; the venue's tiers were not given).`,
  );
  if (cp.liquidationFeeRate > 0) out.push(`Liquidation fee ${percent(cp.liquidationFeeRate)} reserved.`);
  const w = profile.entryWindow;
  const spread = percent(cp.initialEntrySpread);
  out.push(
    w.observations <= 1
      ? `Entry prices: no open-interest history, so all open interest (${usd(profile.openInterestUsd)}) is spread ` +
          `±${spread} (triangular) around ${formatPrice(w.openingPrice)}.`
      : `Entry prices: open interest added over the last ${duration(w.toAt - w.fromAt)} was opened at the price ` +
          `of the time; what was open at the start was spread ±${spread} (triangular) around ` +
          `${formatPrice(w.openingPrice)}; falls in open interest closed all positions in proportion.`,
  );
  out.push(
    'Levels the price has already crossed since their entry are gone (liquidated); the rest of each side is ' +
      'scaled to its leveraged share of the current open interest.',
  );
  if (profile.exhausted.long) {
    out.push('Every modelled long level was already crossed: no long levels remain to estimate.');
  }
  if (profile.exhausted.short) {
    out.push('Every modelled short level was already crossed: no short levels remain to estimate.');
  }
  out.push(depthAssumption(profile, params));
  out.push(
    'The shock moves the price first; forced orders then meet the book as recorded, with no new resting ' +
      'orders, no auto-deleveraging, no insurance fund and no arbitrage from other venues.',
  );
  out.push('USD amounts are notionals at the current mark price, as open interest is quoted.');
  return out;
}

function depthAssumption(profile: LiquidationProfile, params: RiskParameters): string {
  const cp = params.cascade;
  const curve = profile.bids;
  const deepest = (curve.distances[curve.distances.length - 1] as number) * 100;
  const law = `impact = ${deepest}% × (USD / depth within ${deepest}%)^${curve.exponent}`;
  switch (profile.depthSource) {
    case 'book': {
      const within = curve.distances.map((d) => `${Math.round(d * 1e6) / 1e4}%`).join('/');
      const at = profile.depthAt === null ? '' : ` at ${new Date(profile.depthAt).toISOString()}`;
      return (
        `Price impact from the order book recorded${at} (depth within ${within} of mid, interpolated ` +
        `linearly); beyond ${deepest}%, ${law}.`
      );
    }
    case 'volume':
      return (
        `No order book recorded: assumed a flat book with ${percent(cp.volumeDepthFraction)} of 24 h volume ` +
        `(${usd(curve.cumulativeUsd[0] ?? 0)}) within ${deepest}% per side; beyond it, ${law}.`
      );
    case 'open interest':
      return (
        `No order book and no volume: assumed a flat book holding ${percent(cp.oiDepthFraction)} of open ` +
        `interest (${usd(curve.cumulativeUsd[0] ?? 0)}) within ${deepest}% per side; treat the impact as a ` +
        'rough guess.'
      );
  }
}

/** The outcome of one shock on a profile, without the path. */
export interface CascadeOutcome {
  totalMove: number;
  liquidatedUsd: number;
  rounds: number;
  roundLimitReached: boolean;
}

/**
 * Walks a shock through a profile: round k liquidates the levels within the move so far, and the move becomes
 * shock + impact(all USD liquidated so far) against the absorbing side of the book. Stops when a round crosses no
 * new level or at the round limit. Pass `path` to receive the rounds.
 */
export function runCascade(
  profile: LiquidationProfile,
  shock: number,
  direction: ShockDirection,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
  path: CascadeRound[] | null = null,
): CascadeOutcome {
  const { maxMove, maxRounds } = params.cascade;
  const levels = direction === 'down' ? profile.longs : profile.shorts;
  const curve = direction === 'down' ? profile.bids : profile.asks;
  const sign = direction === 'down' ? -1 : 1;
  const { distances, cumulativeUsd } = levels;
  let move = Math.min(Math.max(shock, 0), maxMove);
  let crossed = 0;
  let liquidated = 0;
  let rounds = 0;
  while (rounds < maxRounds) {
    const reached = countAtOrBelow(distances, move);
    if (reached <= crossed) break;
    const cumulative = cumulativeUsd[reached - 1] as number;
    const added = cumulative - liquidated;
    crossed = reached;
    if (!(added > 0)) continue; // levels too small to change the sum: not a round, and the move stays
    liquidated = cumulative;
    rounds++;
    const next = Math.max(move, Math.min(maxMove, shock + impactOf(curve, liquidated)));
    if (path !== null) {
      path.push({
        round: rounds,
        priceBefore: profile.price * (1 + sign * move),
        priceAfter: profile.price * (1 + sign * next),
        liquidatedUsd: added,
        cumulativeLiquidatedUsd: liquidated,
        impact: next - move,
      });
    }
    move = next;
  }
  const roundLimitReached = rounds >= maxRounds && countAtOrBelow(distances, move) > crossed;
  return { totalMove: move, liquidatedUsd: liquidated, rounds, roundLimitReached };
}

/** Estimates the cascade a shock would set off in one market. */
export function estimateCascade(
  input: CascadeInput,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): CascadeEstimate | CascadeUnavailable {
  const profile = input.profile ?? buildLiquidationProfile(input.history, input.now, input, params);
  if (!profile.ok) return profile;
  const shock = Math.max(0, input.shock ?? DEFAULT_SHOCK);
  const direction = input.direction ?? 'down';
  const path: CascadeRound[] = [];
  const outcome = runCascade(profile, shock, direction, params, path);
  const sign = direction === 'down' ? -1 : 1;
  const curve = direction === 'down' ? profile.bids : profile.asks;
  const deepest = curve.distances[curve.distances.length - 1] as number;
  const assumptions = profileAssumptions(profile, params);
  if (outcome.roundLimitReached) {
    assumptions.push(`Stopped at the round limit (${params.cascade.maxRounds}) with levels still being crossed.`);
  }
  if (outcome.totalMove >= params.cascade.maxMove) {
    assumptions.push(`The move was capped at ${percent(params.cascade.maxMove)}.`);
  }
  return {
    ok: true,
    estimate: true,
    market: profile.market,
    exchange: profile.exchange,
    symbol: profile.symbol,
    at: profile.at,
    direction,
    shock,
    startPrice: profile.price,
    finalPrice: profile.price * (1 + sign * outcome.totalMove),
    totalMove: outcome.totalMove,
    amplification: shock > 0 ? outcome.totalMove / shock : 1,
    liquidatedUsd: outcome.liquidatedUsd,
    longLiquidatedUsd: direction === 'down' ? outcome.liquidatedUsd : 0,
    shortLiquidatedUsd: direction === 'up' ? outcome.liquidatedUsd : 0,
    liquidatedShareOfOi: profile.openInterestUsd > 0 ? outcome.liquidatedUsd / profile.openInterestUsd : 0,
    rounds: outcome.rounds,
    roundLimitReached: outcome.roundLimitReached,
    path,
    levels: liquidationLevels(profile, params),
    inputs: {
      openInterestUsd: profile.openInterestUsd,
      longShare: profile.longShare,
      longShortAccountRatio: profile.longShortAccountRatio,
      maintenanceMarginRate: profile.maintenanceMarginRate,
      maintenanceMarginSource: profile.maintenanceMarginSource,
      leverageBuckets: profile.leverageBuckets,
      depthSource: profile.depthSource,
      depthAt: profile.depthAt,
      absorbingDepthUsd: depthWithin(curve, deepest),
      absorbingDepthWithin: deepest,
      entryWindow: profile.entryWindow,
    },
    assumptions,
  };
}

/** The liquidation-levels map: USD per band of price around the current price, by side. */
export function liquidationLevels(
  profile: LiquidationProfile,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): LiquidationLevels {
  const width = params.cascade.levelBandWidth;
  const range = params.cascade.levelRange;
  const perSide = Math.max(1, Math.round(range / width));
  const bands: LiquidationBand[] = [];
  for (let i = 0; i < 2 * perSide; i++) {
    const fromChange = (i - perSide) * width;
    const toChange = (i + 1 - perSide) * width;
    bands.push({
      fromChange,
      toChange,
      fromPrice: profile.price * (1 + fromChange),
      toPrice: profile.price * (1 + toChange),
      longUsd: 0,
      shortUsd: 0,
    });
  }
  let longUsdBeyond = 0;
  let shortUsdBeyond = 0;
  const add = (levels: SideLevels, side: 'long' | 'short'): void => {
    let previous = 0;
    for (let i = 0; i < levels.distances.length; i++) {
      const d = levels.distances[i] as number;
      const cumulative = levels.cumulativeUsd[i] as number;
      const amount = cumulative - previous;
      previous = cumulative;
      // A level at distance d sits at -d (long) or +d (short); band i holds [(i - perSide), (i + 1 - perSide)) x width.
      const index =
        side === 'long' ? Math.min(perSide - 1, perSide + Math.floor(-d / width)) : perSide + Math.floor(d / width);
      const band = bands[index];
      if (band === undefined) {
        if (side === 'long') longUsdBeyond += amount;
        else shortUsdBeyond += amount;
        continue;
      }
      if (side === 'long') band.longUsd += amount;
      else band.shortUsd += amount;
    }
  };
  add(profile.longs, 'long');
  add(profile.shorts, 'short');
  return {
    bandWidth: width,
    bands,
    longUsdInRange: profile.longs.totalUsd - longUsdBeyond,
    shortUsdInRange: profile.shorts.totalUsd - shortUsdBeyond,
    longUsdBeyond,
    shortUsdBeyond,
  };
}

/**
 * USD of the levels a move of `move` (a positive fraction) in `direction` crosses: longs for a move down, shorts for
 * one up. A cascade walk liquidates exactly this for its final move (unless stopped by the round limit).
 */
export function levelsWithin(profile: LiquidationProfile, move: number, direction: ShockDirection): number {
  const levels = direction === 'down' ? profile.longs : profile.shorts;
  const count = countAtOrBelow(levels.distances, move);
  return count > 0 ? (levels.cumulativeUsd[count - 1] as number) : 0;
}

/** Liquidation levels within `withinFraction` of the price on each side, and the depth that would absorb them. */
export interface NearLiquidationLevels {
  withinFraction: number;
  longUsd: number;
  shortUsd: number;
  longShareOfOi: number | null;
  shortShareOfOi: number | null;
  /** Bid depth within the same distance (absorbs liquidated longs), USD. */
  bidDepthUsd: number;
  askDepthUsd: number;
  depthSource: DepthSource;
}

export function nearLiquidationLevels(profile: LiquidationProfile, withinFraction: number): NearLiquidationLevels {
  const longUsd = levelsWithin(profile, withinFraction, 'down');
  const shortUsd = levelsWithin(profile, withinFraction, 'up');
  const oi = profile.openInterestUsd;
  return {
    withinFraction,
    longUsd,
    shortUsd,
    longShareOfOi: oi > 0 ? longUsd / oi : null,
    shortShareOfOi: oi > 0 ? shortUsd / oi : null,
    bidDepthUsd: depthWithin(profile.bids, withinFraction),
    askDepthUsd: depthWithin(profile.asks, withinFraction),
    depthSource: profile.depthSource,
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** The snapshots at or before the state described, with `snapshot` appended when it is newer. */
function windowSnapshots(history: MarketHistory, now: number, snapshot: Snapshot | undefined): readonly Snapshot[] {
  const at = snapshot?.at ?? now;
  const count = countUpTo(history.snapshots, at);
  if (snapshot === undefined)
    return count === history.snapshots.length ? history.snapshots : history.snapshots.slice(0, count);
  const before = history.snapshots.slice(0, count);
  const last = before[before.length - 1];
  if (last === undefined || last.at < snapshot.at) before.push(snapshot);
  else before[before.length - 1] = snapshot;
  return before;
}

function maintenanceMargin(
  tiers: readonly (MarginTier | LeverageTier)[] | undefined,
  price: number,
  params: RiskParameters,
): { rate: number; source: 'venue tiers' | 'default'; maxLeverage: number | undefined } {
  if (tiers === undefined || tiers.length === 0) {
    return { rate: params.cascade.defaultMaintenanceMarginRate, source: 'default', maxLeverage: undefined };
  }
  const sorted = tiers.map((t) => asMarginTier(t, price)).sort((a, b) => a.maxNotionalUsd - b.maxNotionalUsd);
  const tier =
    sorted.find((t) => t.maxNotionalUsd >= params.cascade.representativePositionUsd) ??
    (sorted[sorted.length - 1] as MarginTier);
  return { rate: tier.maintenanceMarginRate, source: 'venue tiers', maxLeverage: tier.maxLeverage };
}

function asMarginTier(tier: MarginTier | LeverageTier, price: number): MarginTier {
  if (!('unit' in tier)) return tier;
  const cap = tier.cap === null ? Infinity : tier.unit === 'usd' ? tier.cap : tier.cap * price;
  return { maxNotionalUsd: cap, maintenanceMarginRate: tier.maintenanceMarginRate, maxLeverage: tier.maxLeverage };
}

/** Buckets above the venue's maximum leverage are folded into it (their weight kept). */
function foldBuckets(buckets: readonly LeverageBucket[], maxLeverage: number | undefined): LeverageBucket[] {
  const out: LeverageBucket[] = [];
  for (const bucket of buckets) {
    const leverage = maxLeverage === undefined ? bucket.leverage : Math.min(bucket.leverage, maxLeverage);
    const same = out.find((b) => b.leverage === leverage);
    if (same !== undefined) same.weight += bucket.weight;
    else out.push({ leverage, weight: bucket.weight });
  }
  return out.filter((b) => b.weight > 0);
}

/**
 * The cohorts of one profile (entry price, quantity in coins, and the index of the snapshot from which on the price
 * path can consume their levels), in reused columns: a profile is built for every market on every pass.
 */
class Cohorts {
  entry = new Float64Array(512);
  quantity = new Float64Array(512);
  from = new Int32Array(512);
  count = 0;

  clear(): void {
    this.count = 0;
  }

  push(entry: number, quantity: number, from: number): void {
    if (this.count === this.entry.length) {
      const size = this.count * 2;
      this.entry = grown(this.entry, size);
      this.quantity = grown(this.quantity, size);
      const fromGrown = new Int32Array(size);
      fromGrown.set(this.from);
      this.from = fromGrown;
    }
    this.entry[this.count] = entry;
    this.quantity[this.count] = quantity;
    this.from[this.count] = from;
    this.count++;
  }
}

function grown(values: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(size);
  out.set(values);
  return out;
}

// Reused by estimateLevels and sideLevels (synchronous, one profile at a time).
const cohorts = new Cohorts();
const reductionIndex = new ScratchBuffer();
const reductionFactor = new ScratchBuffer();
const shrinkScratch = new ScratchBuffer();
const pathScratch = new ScratchBuffer();
const suffixMinScratch = new ScratchBuffer();
const suffixMaxScratch = new ScratchBuffer();
const offsetScratch = new ScratchBuffer();
const longBinScratch = new ScratchBuffer();
const shortBinScratch = new ScratchBuffer();
const ratioScratch = new ScratchBuffer();
const usedScratch = new ScratchBuffer();
const usedBinScratch = new ScratchBuffer();
const listDistances = new ScratchBuffer();
const listAmounts = new ScratchBuffer();

/**
 * The entry distribution and the levels it implies. Open interest is read in coins (USD over mark price). The
 * coins open at the window's start are spread over a triangle of ±initialEntrySpread around the opening price;
 * every later increase is a new cohort at the price of its snapshot; every decrease shrinks all cohorts in
 * proportion. A cohort's level is consumed when the price since its entry has crossed it. The surviving levels
 * of each side are scaled to that side's share of the current open interest, less the hedged share (which
 * carries no level).
 */
function estimateLevels(
  snaps: readonly Snapshot[],
  columns: SnapshotColumns,
  n: number,
  price: number,
  longShare: number,
  buckets: readonly LeverageBucket[],
  mmr: number,
  openInterestUsd: number,
  params: RiskParameters,
): {
  longs: SideLevels;
  shorts: SideLevels;
  window: LiquidationProfile['entryWindow'];
  exhausted: LiquidationProfile['exhausted'];
} {
  const cp = params.cascade;
  const last = snaps[n - 1] as Snapshot;
  const windowStart = last.at - params.features.normWindowMs;

  // One read of the snapshots: the price path (the current price where a snapshot has none) and the cohorts from
  // the open interest series; a reduction r applies to the cohorts before index reductionAt[r].
  const path = pathScratch.take(n);
  cohorts.clear();
  const reductionAt = reductionIndex.take(n);
  const reductionBy = reductionFactor.take(n);
  let reductions = 0;
  let previous: number | null = null;
  let firstAt = last.at;
  let openingPrice = price;
  let observations = 0;
  const { at: times, price: prices, hasPrice, openInterestUsd: openInterest, hasOpenInterestUsd } = columns;
  for (let i = 0; i < n; i++) {
    const known = hasPrice[i] === 1;
    const p = prices[i] as number;
    path[i] = known ? p : price;
    if ((times[i] as number) < windowStart || hasOpenInterestUsd[i] !== 1 || !known) continue;
    const coins = (openInterest[i] as number) / p;
    const at = times[i] as number;
    observations++;
    if (previous === null) {
      firstAt = at;
      openingPrice = p;
      spreadCohorts(p, coins, i, params);
    } else if (coins > previous) {
      cohorts.push(p, coins - previous, i);
    } else if (coins < previous && previous > 0) {
      reductionAt[reductions] = cohorts.count;
      reductionBy[reductions] = coins / previous;
      reductions++;
    }
    previous = coins;
  }
  // No usable history: the current open interest is spread around the current price, consumable by nothing.
  if (cohorts.count === 0) spreadCohorts(price, openInterestUsd / price, n, params);
  // Price extremes from each snapshot to now (the current price included).
  const suffixMin = suffixMinScratch.take(n + 1);
  const suffixMax = suffixMaxScratch.take(n + 1);
  suffixMin[n] = price;
  suffixMax[n] = price;
  for (let i = n - 1; i >= 0; i--) {
    const p = path[i] as number;
    suffixMin[i] = Math.min(p, suffixMin[i + 1] as number);
    suffixMax[i] = Math.max(p, suffixMax[i + 1] as number);
  }
  const count = cohorts.count;
  const entries = cohorts.entry;
  const quantities = cohorts.quantity;
  const froms = cohorts.from;
  // Apply reductions: cohorts created before a reduction shrink by its factor.
  const shrink = shrinkScratch.take(count);
  let factor = 1;
  let r = reductions - 1;
  for (let c = count - 1; c >= 0; c--) {
    while (r >= 0 && (reductionAt[r] as number) > c) {
      factor *= reductionBy[r] as number;
      r--;
    }
    shrink[c] = factor;
  }

  // Pool surviving levels by entry bin and bucket, per side.
  const bucketCount = buckets.length;
  const distances = buckets.map((b) =>
    Math.max(1 / b.leverage - mmr - cp.liquidationFeeRate, cp.minLiquidationDistance),
  );
  const offsets = offsetScratch.take(count); // log of entry over the current price
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < count; c++) {
    const offset = Math.log((entries[c] as number) / price);
    offsets[c] = offset;
    lo = Math.min(lo, offset);
    hi = Math.max(hi, offset);
  }
  const binWidth = Math.max(cp.entryBinWidth, (hi - lo) / 20_000);
  const kMin = Math.round(lo / binWidth);
  const kMax = Math.round(hi / binWidth);
  const size = kMax - kMin + 1;
  // Bucket b's bins are [b x size, (b + 1) x size) of each side's buffer.
  const longBins = longBinScratch.take(bucketCount * size).fill(0, 0, bucketCount * size);
  const shortBins = shortBinScratch.take(bucketCount * size).fill(0, 0, bucketCount * size);
  let longTotal = 0;
  let shortTotal = 0;
  let consumedLong = 0;
  let consumedShort = 0;
  for (let c = 0; c < count; c++) {
    const entry = entries[c] as number;
    const quantity = (quantities[c] as number) * (shrink[c] as number);
    if (!(quantity > 0)) continue;
    const k = Math.round((offsets[c] as number) / binWidth) - kMin;
    const from = froms[c] as number;
    const low = suffixMin[from] as number;
    const high = suffixMax[from] as number;
    for (let b = 0; b < bucketCount; b++) {
      const weight = (buckets[b] as LeverageBucket).weight;
      const d = distances[b] as number;
      const longQty = quantity * longShare * weight;
      const shortQty = quantity * (1 - longShare) * weight;
      if (low <= entry * (1 - d)) consumedLong += longQty;
      else {
        longBins[b * size + k] = (longBins[b * size + k] as number) + longQty;
        longTotal += longQty;
      }
      if (high >= entry * (1 + d)) consumedShort += shortQty;
      else {
        shortBins[b * size + k] = (shortBins[b * size + k] as number) + shortQty;
        shortTotal += shortQty;
      }
    }
  }

  // The hedged share of each side is never liquidated by a move: only the rest carries levels.
  const leveraged = openInterestUsd * (1 - cp.hedgedShare);
  const longUsd = leveraged * longShare;
  const shortUsd = leveraged * (1 - longShare);
  // exp((k + kMin) x binWidth) per bin, computed once for every bucket and both sides (NaN: not yet).
  const ratios = ratioScratch.take(size).fill(Number.NaN, 0, size);
  // The bins any cohort fell in, ascending (the others are empty in every bucket).
  const used = usedScratch.take(size).fill(0, 0, size);
  for (let c = 0; c < count; c++) used[Math.round((offsets[c] as number) / binWidth) - kMin] = 1;
  const usedBins = usedBinScratch.take(size);
  let usedCount = 0;
  for (let k = 0; k < size; k++) if (used[k] === 1) usedBins[usedCount++] = k;
  const bins: SideBins = { distances, size, kMin, binWidth, ratios, usedBins, usedCount };
  const longs = sideLevels(bins, longBins, longTotal > 0 ? longUsd / longTotal : 0, 'long');
  const shorts = sideLevels(bins, shortBins, shortTotal > 0 ? shortUsd / shortTotal : 0, 'short');

  return {
    longs,
    shorts,
    window: { fromAt: firstAt, toAt: last.at, observations, openingPrice },
    exhausted: {
      long: longUsd > 0 && longTotal === 0 && consumedLong > 0,
      short: shortUsd > 0 && shortTotal === 0 && consumedShort > 0,
    },
  };
}

/** Adds the opening open interest as a triangle of cohorts over ±initialEntrySpread around `price`. */
function spreadCohorts(price: number, coins: number, from: number, params: RiskParameters): void {
  const { initialEntryPoints: points, initialEntrySpread: spread } = params.cascade;
  const half = (points - 1) / 2;
  const total = (half + 1) * (half + 1); // the sum of the triangle's weights 1, 2, ..., half + 1, ..., 2, 1
  for (let k = -half; k <= half; k++) {
    const offset = half === 0 ? 0 : (k / half) * spread;
    cohorts.push(price * (1 + offset), (coins * (half + 1 - Math.abs(k))) / total, from);
  }
}

/** The entry bins of one profile, shared by both sides. */
interface SideBins {
  /** Liquidation distance of each leverage bucket. */
  distances: readonly number[];
  /** Bins per bucket; bin k is the entry offset (k + kMin) x binWidth in log of the current price. */
  size: number;
  kMin: number;
  binWidth: number;
  /** exp((k + kMin) x binWidth) per bin, NaN until first needed. */
  ratios: Float64Array;
  /** The bins that may hold a quantity, ascending: usedBins[0, usedCount). */
  usedBins: Float64Array;
  usedCount: number;
}

/** Merges the per-bucket bins of one side into levels sorted by distance. */
function sideLevels(bins: SideBins, quantities: Float64Array, usdPerCoin: number, side: 'long' | 'short'): SideLevels {
  const { distances: bucketDistances, size, kMin, binWidth, ratios, usedBins, usedCount } = bins;
  const bucketCount = bucketDistances.length;
  // Per bucket, the distance is monotone in the entry bin: descending bins for longs, ascending for shorts. List l
  // is [l x size, l x size + lengths[l]) of the list buffers.
  const dist = listDistances.take(bucketCount * size);
  const amount = listAmounts.take(bucketCount * size);
  const lengths: number[] = [];
  let total = 0;
  for (let b = 0; b < bucketCount; b++) {
    const d = bucketDistances[b] as number;
    const base = b * size;
    let length = 0;
    for (let u = 0; u < usedCount; u++) {
      const k = usedBins[side === 'long' ? usedCount - 1 - u : u] as number;
      const quantity = quantities[base + k] as number;
      if (!(quantity > 0)) continue;
      let ratio = ratios[k] as number;
      if (Number.isNaN(ratio)) {
        ratio = Math.exp((k + kMin) * binWidth);
        ratios[k] = ratio;
      }
      const distance = side === 'long' ? 1 - ratio * (1 - d) : ratio * (1 + d) - 1;
      dist[base + length] = Math.max(0, distance);
      amount[base + length] = quantity * usdPerCoin;
      length++;
    }
    lengths.push(length);
    total += length;
  }
  const distances = new Float64Array(total);
  const cumulativeUsd = new Float64Array(total);
  // Each list's next distance (Infinity once it is used up, which never wins: distances are finite) and position;
  // the smallest next distance goes first, the lower bucket on a tie.
  const heads: number[] = [];
  const next: number[] = [];
  for (let l = 0; l < bucketCount; l++) {
    heads.push(l * size);
    next.push((lengths[l] as number) > 0 ? (dist[l * size] as number) : Infinity);
  }
  let running = 0;
  for (let out = 0; out < total; out++) {
    let best = 0;
    let bestDistance = next[0] as number;
    for (let l = 1; l < bucketCount; l++) {
      if ((next[l] as number) < bestDistance) {
        bestDistance = next[l] as number;
        best = l;
      }
    }
    const at = heads[best] as number;
    running += amount[at] as number;
    heads[best] = at + 1;
    next[best] = at + 1 < best * size + (lengths[best] as number) ? (dist[at + 1] as number) : Infinity;
    distances[out] = bestDistance;
    cumulativeUsd[out] = running;
  }
  return { distances, cumulativeUsd, totalUsd: running };
}

/** Depth curves for both sides: the latest recorded book, else a flat book from volume, else from open interest. */
/** The latest fresh 24 h volume in USD, or null. */
function volumeAt(snaps: readonly Snapshot[], n: number, at: number, maxAge: number): number | null {
  const idx = latestIndex(snaps, n, at, maxAge, hasVolume);
  return idx >= 0 ? ((snaps[idx] as Snapshot).volume24hUsd as number) : null;
}

function depthCurves(
  snaps: readonly Snapshot[],
  n: number,
  at: number,
  openInterestUsd: number,
  params: RiskParameters,
): { bids: DepthCurve; asks: DepthCurve; source: DepthSource; at: number | null } {
  const cp = params.cascade;
  const maxAge = params.features.maxValueAgeMs;
  const bookIdx = latestIndex(snaps, n, at, maxAge, hasBook);
  if (bookIdx >= 0) {
    const book = snaps[bookIdx] as Snapshot;
    const bands = book.depthBands ?? [];
    const bids = depthCurveFromBands(bands, 'bid', cp.impactExponent);
    const asks = depthCurveFromBands(bands, 'ask', cp.impactExponent);
    if (bids !== null && asks !== null) {
      const volume = volumeAt(snaps, n, at, maxAge);
      const beyond =
        volume === null
          ? undefined
          : { volumeUsd: volume, dailyVolatility: cp.impactDailyVolatility, coefficient: cp.impactCoefficient };
      return beyond === undefined
        ? { bids, asks, source: 'book', at: book.at }
        : { bids: { ...bids, beyond }, asks: { ...asks, beyond }, source: 'book', at: book.at };
    }
  }
  const deepest = cp.fallbackBandPercent / 100;
  const volumeIdx = latestIndex(snaps, n, at, maxAge, hasVolume);
  if (volumeIdx >= 0) {
    const volume = (snaps[volumeIdx] as Snapshot).volume24hUsd as number;
    const curve = flatDepthCurve(volume * cp.volumeDepthFraction, deepest, cp.impactExponent);
    return { bids: curve, asks: curve, source: 'volume', at: null };
  }
  const curve = flatDepthCurve(Math.max(openInterestUsd * cp.oiDepthFraction, 1), deepest, cp.impactExponent);
  return { bids: curve, asks: curve, source: 'open interest', at: null };
}

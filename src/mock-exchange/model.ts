// The scenario turned into markets per venue: each market's state at any scenario time (keyframes linearly
// interpolated, held constant before the first and after the last), its order book, and its liquidations as a sorted
// list of events. Venue modules only format what this module computes.
import type { ExchangeId } from '../domain/market.js';
import { createRandom, seedOf } from './random.js';
import { nonTradingListings } from './listings.js';
import type { NonTradingListing } from './listings.js';
import type { DepthShape, GenerateSpec, Keyframe, MarketBlank, MarketSpec, Scenario } from './scenario.js';
import { scenarioStartMs } from './scenario.js';

export type PositionSide = 'long' | 'short';

/** One market's state at one moment. Prices in quote currency, money in USD, rates as fractions. */
export interface MarketState {
  /** Last trade = mid = mark. */
  price: number;
  markPrice: number;
  indexPrice: number;
  premium: number;
  fundingRate: number;
  openInterestUsd: number;
  volume24hUsd: number;
  bidDepth1PctUsd: number;
  askDepth1PctUsd: number;
  longShortRatio: number;
}

type SeriesField = Exclude<keyof MarketState, 'markPrice' | 'indexPrice'>;

/** One scripted liquidation, resolved: time, side of the liquidated position, fill price, USD size. */
export interface LiquidationEvent {
  market: VenueMarket;
  /** Scenario epoch ms. */
  at: number;
  side: PositionSide;
  price: number;
  sizeUsd: number;
  /** Size in base units (sizeUsd / price). */
  sizeBase: number;
}

export interface VenueMarket {
  venue: ExchangeId;
  base: string;
  quote: string;
  settle: string;
  /** The venue's id: BTCUSDT, BTCPERP, BTC-USDT-SWAP, BTC (Hyperliquid's coin name). */
  id: string;
  /** ccxt's unified symbol (ccxt capitalises the base: Hyperliquid's kPEPE is KPEPE/USDC:USDC). */
  symbol: string;
  /** False only for OKX's inverse (coin-margined) swaps. */
  linear: boolean;
  /** Base units per contract (linear); USD per contract for inverse swaps. */
  contractSize: number;
  fundingIntervalHours: number;
  maxLeverage: number;
  tickSize: number;
  /** Quantity step: base units, or contracts on OKX. */
  qtyStep: number;
  depthShape: DepthShape;
  /** Position in the venue's listing (Hyperliquid's asset index). */
  index: number;
  /** Listing time, epoch ms. */
  listedAt: number;
  stateAt(offsetSec: number): MarketState;
  /** Offsets (seconds) of the keyframes that set a price: the price is linear between them. */
  priceKnots: readonly number[];
  /** Highest and lowest price at the knots strictly inside (fromSec, toSec); null when no knot is inside. */
  knotPriceRange(fromSec: number, toSec: number): { high: number; low: number } | null;
  /** The same for the index price (price over 1 + premium) at the price knots. */
  knotIndexRange(fromSec: number, toSec: number): { high: number; low: number } | null;
  liquidations: LiquidationEvent[];
  /** Values the venue sends blank for this market (scenario `blanks`). */
  blanks: ReadonlySet<MarketBlank>;
}

export interface VenueModel {
  venue: ExchangeId;
  markets: VenueMarket[];
  /** Instruments the venue lists beside the scenario's markets that do not trade as perpetuals (listings.ts). */
  nonTrading: NonTradingListing[];
  byId: Map<string, VenueMarket>;
  /** Every liquidation of the venue, oldest first. */
  liquidations: LiquidationEvent[];
}

export interface ScenarioModel {
  startMs: number;
  durationSec: number;
  venues: Map<ExchangeId, VenueModel>;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

/** Decimals needed to print multiples of `step`. */
export function decimalsOf(step: number): number {
  if (step >= 1) return 0;
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

/** Rounds to a multiple of step (nearest). */
export function roundTo(value: number, step: number): number {
  const decimals = decimalsOf(step);
  return Number((Math.round(value / step) * step).toFixed(decimals));
}

/** Fixed decimals, as Binance prints them ("0.00010000"). */
export function fixed(value: number, decimals: number): string {
  return value.toFixed(Math.max(0, Math.min(20, decimals)));
}

/** Fixed decimals with trailing zeros removed ("0.0001"), as Bybit, OKX and Hyperliquid print most numbers. */
export function trimmed(value: number, decimals: number): string {
  const text = fixed(value, decimals);
  if (!text.includes('.')) return text;
  const cut = text.replace(/0+$/, '').replace(/\.$/, '');
  return cut === '-0' ? '0' : cut;
}

/** A price step with six significant digits of the price: 100000 -> 0.1, 2500 -> 0.001. */
function defaultTick(price: number): number {
  return Math.pow(10, Math.floor(Math.log10(price)) - 6);
}

/** A base-unit step worth between 0.1 and 1 quote unit. */
function defaultQtyStep(price: number): number {
  return Math.pow(10, Math.ceil(Math.log10(1 / price)));
}

// ---------------------------------------------------------------------------------------------------------------
// Series

/** One field's keyframes: times (seconds, non-decreasing, duplicates allowed) and values. */
interface Series {
  times: Float64Array;
  values: Float64Array;
}

function seriesFrom(points: readonly (readonly [number, number])[]): Series {
  return { times: Float64Array.from(points, (p) => p[0]), values: Float64Array.from(points, (p) => p[1]) };
}

/**
 * Linear between knots, held before the first and after the last. At a repeated time the first of the repeats
 * wins from the left and the last takes over right after it (a jump). A replay asks every field of every market on
 * every request, so the knot is found by binary search: the answers are bit-identical to a scan from the start.
 */
function interpolate(series: Series, t: number): number {
  const { times, values } = series;
  const n = times.length;
  if (n === 0) return 0;
  if (t <= (times[0] as number)) return values[0] as number;
  // The first knot after the first that is at or after t; n when none is (t after the last, or NaN).
  let lo = 1;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t <= (times[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  if (lo === n) return values[n - 1] as number;
  const leftT = times[lo - 1] as number;
  const leftV = values[lo - 1] as number;
  const rightV = values[lo] as number;
  const span = (times[lo] as number) - leftT;
  if (span <= 0) return rightV;
  return leftV + ((rightV - leftV) * (t - leftT)) / span;
}

/** The first index in [0, n) whose time is above `t` (n when none is). */
function firstAbove(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first index in [0, n) whose time is at or above `t` (n when none is). */
function firstAtOrAbove(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Range maximum and minimum over fixed values in O(1) per query after O(n log n) set-up (a sparse table: level k
 * holds the extremes of every run of 2^k values), so a 24 h high/low costs the same on a day of per-minute knots as
 * on three knots.
 */
class RangeExtremes {
  private readonly highs: Float64Array[];
  private readonly lows: Float64Array[];

  constructor(values: Float64Array) {
    this.highs = [values];
    this.lows = [values];
    for (let width = 1; width * 2 <= values.length; width *= 2) {
      const prevHigh = this.highs[this.highs.length - 1] as Float64Array;
      const prevLow = this.lows[this.lows.length - 1] as Float64Array;
      const size = values.length - width * 2 + 1;
      const high = new Float64Array(size);
      const low = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        high[i] = Math.max(prevHigh[i] as number, prevHigh[i + width] as number);
        low[i] = Math.min(prevLow[i] as number, prevLow[i + width] as number);
      }
      this.highs.push(high);
      this.lows.push(low);
    }
  }

  /** Extremes of values[from..to], both inclusive, from <= to. */
  query(from: number, to: number): { high: number; low: number } {
    const level = 31 - Math.clz32(to - from + 1);
    const high = this.highs[level] as Float64Array;
    const low = this.lows[level] as Float64Array;
    const right = to - (1 << level) + 1;
    return {
      high: Math.max(high[from] as number, high[right] as number),
      low: Math.min(low[from] as number, low[right] as number),
    };
  }
}

interface MarketSeries {
  stateAt(offsetSec: number): MarketState;
  priceKnots: number[];
  knotPriceRange(fromSec: number, toSec: number): { high: number; low: number } | null;
  knotIndexRange(fromSec: number, toSec: number): { high: number; low: number } | null;
}

function seriesOf(keyframes: readonly Keyframe[]): MarketSeries {
  const points: Record<SeriesField, [number, number][]> = {
    price: [],
    premium: [],
    fundingRate: [],
    openInterestUsd: [],
    volume24hUsd: [],
    bidDepth1PctUsd: [],
    askDepth1PctUsd: [],
    longShortRatio: [],
  };
  for (const k of keyframes) {
    const push = (field: SeriesField, value: number | undefined) => {
      if (value !== undefined) points[field].push([k.atSec, value]);
    };
    push('price', k.price);
    push('premium', k.premium);
    push('fundingRate', k.fundingRate);
    push('openInterestUsd', k.openInterestUsd);
    push('volume24hUsd', k.volume24hUsd);
    push('bidDepth1PctUsd', k.bidDepth1PctUsd ?? k.depth1PctUsd);
    push('askDepth1PctUsd', k.askDepth1PctUsd ?? k.depth1PctUsd);
    push('longShortRatio', k.longShortRatio);
  }
  if (points.premium.length === 0) points.premium.push([0, 0]);
  if (points.longShortRatio.length === 0) points.longShortRatio.push([0, 1]);
  const price = seriesFrom(points.price);
  const premium = seriesFrom(points.premium);
  const fundingRate = seriesFrom(points.fundingRate);
  const openInterestUsd = seriesFrom(points.openInterestUsd);
  const volume24hUsd = seriesFrom(points.volume24hUsd);
  const bidDepth1PctUsd = seriesFrom(points.bidDepth1PctUsd);
  const askDepth1PctUsd = seriesFrom(points.askDepth1PctUsd);
  const longShortRatio = seriesFrom(points.longShortRatio);
  // Built on the first 24 h ticker: most markets of a large generated venue are never asked for one.
  let extremes: RangeExtremes | undefined;
  let indexExtremes: RangeExtremes | undefined;
  const knotsInside = (fromSec: number, toSec: number): [number, number] | null => {
    const from = firstAbove(price.times, fromSec);
    const to = firstAtOrAbove(price.times, toSec) - 1;
    return from <= to ? [from, to] : null;
  };
  return {
    stateAt(offsetSec) {
      const p = interpolate(price, offsetSec);
      const pr = interpolate(premium, offsetSec);
      return {
        price: p,
        markPrice: p,
        indexPrice: p / (1 + pr),
        premium: pr,
        fundingRate: interpolate(fundingRate, offsetSec),
        openInterestUsd: interpolate(openInterestUsd, offsetSec),
        volume24hUsd: interpolate(volume24hUsd, offsetSec),
        bidDepth1PctUsd: interpolate(bidDepth1PctUsd, offsetSec),
        askDepth1PctUsd: interpolate(askDepth1PctUsd, offsetSec),
        longShortRatio: interpolate(longShortRatio, offsetSec),
      };
    },
    priceKnots: Array.from(price.times),
    knotPriceRange(fromSec, toSec) {
      const inside = knotsInside(fromSec, toSec);
      if (inside === null) return null;
      // The price the series gives at each knot's time, not the keyframe's own value: at a repeated time the two
      // differ, and so may rounding at the end of a segment.
      extremes ??= new RangeExtremes(price.times.map((knot) => interpolate(price, knot)));
      return extremes.query(inside[0], inside[1]);
    },
    knotIndexRange(fromSec, toSec) {
      const inside = knotsInside(fromSec, toSec);
      if (inside === null) return null;
      indexExtremes ??= new RangeExtremes(
        price.times.map((knot) => interpolate(price, knot) / (1 + interpolate(premium, knot))),
      );
      return indexExtremes.query(inside[0], inside[1]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Markets per venue

function venueId(venue: ExchangeId, base: string, settle: string): string {
  switch (venue) {
    case 'binanceusdm':
      return `${base}${settle}`;
    case 'bybit':
      return settle === 'USDC' ? `${base}PERP` : `${base}USDT`;
    case 'okx':
      return `${base}-${settle}-SWAP`;
    case 'hyperliquid':
      return base;
  }
}

function defaultFundingHours(venue: ExchangeId): 1 | 8 {
  return venue === 'hyperliquid' ? 1 : 8;
}

/** OKX-like contract value: a round number of base units worth roughly 1000 USD / 100. */
function defaultOkxContractSize(price: number): number {
  return Math.pow(10, Math.round(Math.log10(1000 / price)));
}

function buildMarket(
  venue: ExchangeId,
  spec: MarketSpec,
  index: number,
  startMs: number,
  scenarioSeed: string,
): VenueMarket {
  const first = spec.keyframes[0];
  const firstPrice = first?.price ?? 1;
  const settle = spec.settle;
  const contractSize = venue === 'okx' ? (spec.contractSize ?? defaultOkxContractSize(firstPrice)) : 1;
  const market: VenueMarket = {
    venue,
    base: spec.base,
    quote: settle,
    settle,
    id: venueId(venue, spec.base, settle),
    symbol: `${spec.base.toUpperCase()}/${settle}:${settle}`,
    linear: true,
    contractSize,
    fundingIntervalHours: spec.fundingIntervalHours ?? defaultFundingHours(venue),
    maxLeverage: spec.maxLeverage,
    tickSize: spec.tickSize ?? defaultTick(firstPrice),
    qtyStep: spec.qtyStep ?? (venue === 'okx' ? 0.01 : defaultQtyStep(firstPrice)),
    depthShape: spec.depthShape,
    index,
    listedAt: startMs - 400 * 86_400_000,
    ...seriesOf(spec.keyframes),
    liquidations: [],
    blanks: new Set(spec.blanks),
  };
  market.liquidations = expandLiquidations(market, spec, startMs, scenarioSeed);
  return market;
}

function expandLiquidations(
  market: VenueMarket,
  spec: MarketSpec,
  startMs: number,
  scenarioSeed: string,
): LiquidationEvent[] {
  const events: LiquidationEvent[] = [];
  const random = createRandom(seedOf(scenarioSeed, market.venue, market.id, 'liquidations'));
  const add = (offsetSec: number, side: PositionSide, sizeUsd: number, price: number | undefined) => {
    const fill = price ?? market.stateAt(offsetSec).price;
    if (!(fill > 0) || !(sizeUsd > 0)) return;
    events.push({
      market,
      at: startMs + Math.round(offsetSec * 1000),
      side,
      price: fill,
      sizeUsd,
      sizeBase: sizeUsd / fill,
    });
  };
  for (const item of spec.liquidations) {
    if ('atSec' in item) {
      add(item.atSec, item.side, item.sizeUsd, item.price);
      continue;
    }
    const count = Math.floor((item.toSec - item.fromSec) * item.perSecond);
    for (let i = 0; i < count; i++) {
      const jitter = item.sizeJitter === 0 ? 1 : 1 + item.sizeJitter * (2 * random.next() - 1);
      add(item.fromSec + i / item.perSecond, item.side, item.sizeUsd * jitter, item.price);
    }
  }
  return events.sort((a, b) => a.at - b.at);
}

/** The markets a `generate` section describes, as market specs (the same bases on every venue). */
export function generatedMarketSpecs(venue: ExchangeId, spec: GenerateSpec): MarketSpec[] {
  const shared = createRandom(seedOf(spec.seed, 'generate'));
  const own = createRandom(seedOf(spec.seed, 'generate', venue));
  const digits = Math.max(3, String(spec.count).length);
  const markets: MarketSpec[] = [];
  for (let i = 1; i <= spec.count; i++) {
    const noise = () => 1 + 0.05 * (2 * own.next() - 1);
    const price = shared.logUniform(spec.price.min, spec.price.max);
    const openInterestUsd =
      Math.min(spec.openInterestUsd.max, shared.pareto(spec.openInterestUsd.min, spec.openInterestUsd.alpha)) * noise();
    const volume24hUsd = openInterestUsd * shared.uniform(spec.volumeToOpenInterest.min, spec.volumeToOpenInterest.max);
    const depth =
      openInterestUsd * shared.uniform(spec.depthToOpenInterest.min, spec.depthToOpenInterest.max) * noise();
    const fundingRate = shared.uniform(spec.fundingRate.min, spec.fundingRate.max);
    const longShortRatio = shared.uniform(spec.longShortRatio.min, spec.longShortRatio.max);
    const beta = 0.5 + shared.next();
    const settle = venue === 'hyperliquid' ? 'USDC' : spec.settle;
    const start: Keyframe = {
      atSec: 0,
      price,
      fundingRate,
      openInterestUsd,
      volume24hUsd,
      depth1PctUsd: depth,
      longShortRatio,
    };
    const keyframes: Keyframe[] = [start];
    if (spec.move !== undefined) {
      const m = spec.move;
      const scale = (value: number, change: number) => value * Math.max(0.05, 1 + beta * change);
      keyframes.push({ ...start, atSec: m.fromSec });
      keyframes.push({
        atSec: m.toSec,
        price: scale(price, m.priceChange),
        openInterestUsd: scale(openInterestUsd, m.openInterestChange),
        depth1PctUsd: scale(depth, m.depthChange),
        fundingRate: m.fundingRate ?? fundingRate,
      });
    }
    markets.push({
      base: `${spec.prefix}${String(i).padStart(digits, '0')}`,
      settle,
      fundingIntervalHours: venue === 'hyperliquid' ? 1 : spec.fundingIntervalHours,
      maxLeverage: 20,
      depthShape: { within0_5Pct: 0.45, within2Pct: 1.8, within5Pct: 3.5 },
      keyframes,
      liquidations: [],
      blanks: [],
    });
  }
  return markets;
}

/** OKX's coin-margined twin of a linear swap: same prices, a quarter of its size, 100 USD contracts (10 for alts). */
function inverseTwin(linear: VenueMarket, index: number): VenueMarket {
  const contractUsd = linear.base === 'BTC' ? 100 : 10;
  return {
    ...linear,
    quote: 'USD',
    settle: linear.base,
    id: `${linear.base}-USD-SWAP`,
    symbol: `${linear.base}/USD:${linear.base}`,
    linear: false,
    contractSize: contractUsd,
    qtyStep: 1,
    index,
    stateAt: (offsetSec) => {
      const state = linear.stateAt(offsetSec);
      return {
        ...state,
        openInterestUsd: state.openInterestUsd * 0.25,
        volume24hUsd: state.volume24hUsd * 0.25,
        bidDepth1PctUsd: state.bidDepth1PctUsd * 0.25,
        askDepth1PctUsd: state.askDepth1PctUsd * 0.25,
      };
    },
    liquidations: [],
  };
}

export function buildModel(scenario: Scenario): ScenarioModel {
  const startMs = scenarioStartMs(scenario);
  const venues = new Map<ExchangeId, VenueModel>();
  for (const [venue, spec] of Object.entries(scenario.venues) as [ExchangeId, Scenario['venues'][ExchangeId]][]) {
    if (spec === undefined) continue;
    const specs = [...spec.markets];
    if (spec.generate !== undefined) {
      const taken = new Set(specs.map((m) => m.base));
      specs.push(...generatedMarketSpecs(venue, spec.generate).filter((m) => !taken.has(m.base)));
    }
    const markets = specs.map((marketSpec, index) => buildMarket(venue, marketSpec, index, startMs, scenario.name));
    if (venue === 'okx') {
      const bases = spec.inverseSwaps ?? markets.slice(0, 2).map((m) => m.base);
      for (const base of bases) {
        const linear = markets.find((m) => m.base === base && m.linear);
        if (linear !== undefined) markets.push(inverseTwin(linear, markets.length));
      }
    }
    const liquidations = markets.flatMap((m) => m.liquidations).sort((a, b) => a.at - b.at);
    venues.set(venue, {
      venue,
      markets,
      nonTrading: nonTradingListings(venue, markets, startMs),
      byId: new Map(markets.map((m) => [m.id, m])),
      liquidations,
    });
  }
  return { startMs, durationSec: scenario.durationSec, venues };
}

// ---------------------------------------------------------------------------------------------------------------
// Derived values

/** The market's state at a scenario epoch ms. */
export function stateAtMs(market: VenueMarket, startMs: number, atMs: number): MarketState {
  return market.stateAt((atMs - startMs) / 1000);
}

/** Open, high and low of the price over the 24 h before `atMs` (keyframe points inside the window included). */
export function dayStats(
  market: VenueMarket,
  startMs: number,
  atMs: number,
): { open: number; high: number; low: number; last: number } {
  const fromSec = (atMs - 86_400_000 - startMs) / 1000;
  const toSec = (atMs - startMs) / 1000;
  const open = market.stateAt(fromSec).price;
  const last = market.stateAt(toSec).price;
  // The price is linear between its keyframes, so the extremes are at the window's ends or at a keyframe inside.
  const inside = market.knotPriceRange(fromSec, toSec);
  const high = inside === null ? Math.max(open, last) : Math.max(open, last, inside.high);
  const low = inside === null ? Math.min(open, last) : Math.min(open, last, inside.low);
  return { open, high, low, last };
}

export interface BookLevel {
  price: number;
  /** Base units (linear) or USD (inverse) at this level. */
  amount: number;
  orders: number;
}

const LEVELS_PER_SEGMENT = 5;
/** Segment edges in percent from the mid; depth bands are 0.5, 1, 2 and 5%. */
const SEGMENT_EDGES = [0, 0.5, 1, 2, 5] as const;

/**
 * Twenty levels per side, five in each of the segments (0, 0.5], (0.5, 1], (1, 2] and (2, 5] percent from the mid,
 * so the cumulative USD within 0.5/1/2/5% equals the depth the scenario asks for (up to rounding to the price tick
 * and the quantity step). Best bid and ask sit 0.05% from the mid. Zero-size levels are left out.
 */
export function bookSide(market: VenueMarket, state: MarketState, side: 'bids' | 'asks'): BookLevel[] {
  const depth1 = side === 'bids' ? state.bidDepth1PctUsd : state.askDepth1PctUsd;
  const shape = market.depthShape;
  const cumulative = [0, depth1 * shape.within0_5Pct, depth1, depth1 * shape.within2Pct, depth1 * shape.within5Pct];
  const direction = side === 'bids' ? -1 : 1;
  const levels: BookLevel[] = [];
  for (let segment = 0; segment < 4; segment++) {
    const from = SEGMENT_EDGES[segment] ?? 0;
    const to = SEGMENT_EDGES[segment + 1] ?? 0;
    const usd = Math.max(0, (cumulative[segment + 1] ?? 0) - (cumulative[segment] ?? 0));
    for (let i = 0; i < LEVELS_PER_SEGMENT; i++) {
      const distancePct = from + ((to - from) * (i + 0.5)) / LEVELS_PER_SEGMENT;
      const price = roundTo(state.price * (1 + (direction * distancePct) / 100), market.tickSize);
      const usdHere = usd / LEVELS_PER_SEGMENT;
      const amount = market.linear ? usdHere / price : usdHere;
      if (amount <= 0 || price <= 0) continue;
      levels.push({ price, amount, orders: 1 + ((segment * 7 + i * 3) % 9) });
    }
  }
  return levels;
}

/** Next funding settlement after `atMs` for the market's interval (intervals are aligned to 00:00 UTC). */
export function nextFundingAt(market: VenueMarket, atMs: number): number {
  const interval = market.fundingIntervalHours * 3_600_000;
  return Math.floor(atMs / interval) * interval + interval;
}

/** Long and short account shares for a long/short ratio. */
export function accountShares(ratio: number): { long: number; short: number } {
  return { long: ratio / (1 + ratio), short: 1 / (1 + ratio) };
}

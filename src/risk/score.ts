// The spiral score: two sub-scores, fragility (a market loaded for a spiral) and unwinding (a spiral under way),
// each a "noisy or" of its components, combined the same way:
//
//   fragility = ceiling x (1 - Π (1 - weight_i x share_i))        unwinding = 1 - Π (1 - weight_j x share_j)
//   score     = 100 x (1 - (1 - fragility) x (1 - unwinding))
//
// Every share is 0-1 from a saturating map of its inputs. Fragility alone stops below critical; strong unwinding
// alone passes it, and sooner on a loaded market. The points of the score are split between components by their
// part of -log(1 - score), which is additive, then rounded by largest remainder, so the reasons add up exactly.
// A missing input gives no share and lowers the confidence; it never counts as evidence of calm or of stress.
// docs/risk.md explains why.
import type { PositionSide } from '../domain/market.js';
import type { NearLiquidationLevels } from './cascade.js';
import type { FeatureName, FeatureValues } from './features.js';
import { duration, percent, signedPercent, times, usd } from '../domain/format.js';
import { saturate } from './math.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters, Saturation } from './parameters.js';

export const FRAGILITY_COMPONENTS = [
  'leverageBuildUp',
  'fundingCrowding',
  'basisStretch',
  'liquidationLevels',
  'liquidityThinness',
] as const;
export const UNWINDING_COMPONENTS = ['liquidationSurge', 'oiFlush', 'priceStress', 'bookThinning'] as const;
export const SCORE_COMPONENTS = [...FRAGILITY_COMPONENTS, ...UNWINDING_COMPONENTS] as const;
export type ScoreComponent = (typeof SCORE_COMPONENTS)[number];
export type SubScore = 'fragility' | 'unwinding';

export const COMPONENT_LABELS: Readonly<Record<ScoreComponent, string>> = {
  leverageBuildUp: 'Leverage build-up',
  fundingCrowding: 'Funding crowding',
  basisStretch: 'Basis stretch',
  liquidationLevels: 'Liquidation levels near the price',
  liquidityThinness: 'Thin market',
  liquidationSurge: 'Liquidation surge',
  oiFlush: 'Open-interest flush',
  priceStress: 'Price stress',
  bookThinning: 'Book thinning',
};

/** The name an input has when it is not a feature: the estimated liquidation levels near the price. */
export type ScoreInput = FeatureName | 'nearLevelsShareOfOi' | 'nearLevelsToDepth';

export interface ScoreReason {
  component: ScoreComponent;
  subScore: SubScore;
  label: string;
  /** Whole points contributed; the reasons' points add up to the score. */
  points: number;
  /** The most points the component can give: what it gives alone at full strength, rounded up. */
  maxPoints: number;
  /** 0-1: how strongly the component's inputs speak (before its weight). */
  share: number;
  /** Share of the component's inputs that were present (0-1). */
  availability: number;
  /** One line with the numbers, e.g. "open interest +18% in 4 h while price flat (+0.3%)". */
  text: string;
  /** The input that gave the share (the strongest), or null when none gave any. */
  driver: ScoreInput | null;
  /** The inputs the component read, as they were (null = missing). */
  inputs: Partial<Record<ScoreInput, number | null>>;
}

export interface SpiralScore {
  /** 0-100, the sum of the reasons' points. */
  score: number;
  /** 0-100 each, unrounded to one decimal: the loaded market and the spiral under way. */
  fragility: number;
  unwinding: number;
  /** 0-1: the components' availability weighted by their maximum points. */
  confidence: number;
  /** One per component, in SCORE_COMPONENTS order. */
  reasons: ScoreReason[];
  /** The side funding says is crowded (pays the other), when funding is stretched at least a little. */
  crowdedSide: PositionSide | null;
}

interface Term {
  input: ScoreInput;
  share: number | null;
}

interface Evaluated {
  terms: Term[];
  inputs: Partial<Record<ScoreInput, number | null>>;
  /** A factor (0-1) on the strongest term's share, e.g. the confirmation of a price move by forced closing. */
  factor?: number;
  text: (driver: ScoreInput | null) => string;
}

interface Context {
  v: FeatureValues;
  p: RiskParameters;
  near: NearLiquidationLevels | null;
  /** Shares of the forced-closing components, which confirm the others (0 when missing). */
  forcedClosing: number;
  /** The liquidation surge's share (0 when missing): forced flow now, which says a flush is still under way. */
  surging: number;
}

/** Scores a market's features; `near` are the estimated liquidation levels near the price, when a profile exists. */
export function scoreFeatures(
  v: FeatureValues,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
  near: NearLiquidationLevels | null = null,
): SpiralScore {
  const sp = params.score;
  const start: Context = { v, p: params, near, forcedClosing: 0, surging: 0 };
  // Forced closing first: it confirms price stress and book thinning, and recalls the build-up being flushed.
  const surge = strongest(EVALUATORS.liquidationSurge(start).terms);
  const withSurge: Context = { ...start, surging: surge.share };
  const flush = strongest(EVALUATORS.oiFlush(withSurge).terms);
  const ctx: Context = { ...withSurge, forcedClosing: Math.max(surge.share, flush.share) };

  const evaluated = SCORE_COMPONENTS.map((component) => {
    const e = EVALUATORS[component](ctx);
    const best = strongest(e.terms);
    const share = best.share * (e.factor ?? 1);
    const available = e.terms.filter((t) => t.share !== null).length;
    const subScore: SubScore = (FRAGILITY_COMPONENTS as readonly string[]).includes(component)
      ? 'fragility'
      : 'unwinding';
    const weight = sp[component].weight;
    // Alone at full strength: fragility components within the ceiling.
    const aloneMax = subScore === 'fragility' ? sp.fragilityCeiling * weight : weight;
    return { component, e, best, share, subScore, weight, aloneMax, available };
  });

  // Each component's log part: -log(1 - weight x share).
  const logOf = (weight: number, share: number): number => -Math.log1p(-Math.min(weight * share, 1 - 1e-12));
  let fragilityLog = 0;
  let unwindingLog = 0;
  for (const c of evaluated) {
    if (c.subScore === 'fragility') fragilityLog += logOf(c.weight, c.share);
    else unwindingLog += logOf(c.weight, c.share);
  }
  const fragilityInner = -Math.expm1(-fragilityLog);
  const fragility = sp.fragilityCeiling * fragilityInner;
  const unwinding = -Math.expm1(-unwindingLog);
  const fragilityLogScaled = -Math.log1p(-Math.min(fragility, 1 - 1e-12));
  const totalLog = fragilityLogScaled + unwindingLog;
  const exact = 100 * (1 - (1 - fragility) * (1 - unwinding));
  const score = Math.round(exact);

  // The score's points split by log parts; fragility's part shared among its components by their own log parts.
  const raw = evaluated.map((c) => {
    if (totalLog <= 0) return 0;
    const own = logOf(c.weight, c.share);
    const part = c.subScore === 'fragility' ? (fragilityLog > 0 ? (fragilityLogScaled * own) / fragilityLog : 0) : own;
    return (exact * part) / totalLog;
  });
  const points = largestRemainder(raw, score);

  const reasons: ScoreReason[] = evaluated.map((c, i) => ({
    component: c.component,
    subScore: c.subScore,
    label: COMPONENT_LABELS[c.component],
    points: points[i] ?? 0,
    maxPoints: Math.ceil(100 * c.aloneMax - 1e-9),
    share: Math.round(c.share * 1000) / 1000,
    availability: c.e.terms.length === 0 ? 0 : c.available / c.e.terms.length,
    text: c.e.text(c.best.share > 0 ? c.best.input : null),
    driver: c.best.share > 0 ? c.best.input : null,
    inputs: c.e.inputs,
  }));
  let weighted = 0;
  let weights = 0;
  for (const [i, reason] of reasons.entries()) {
    const aloneMax = evaluated[i]?.aloneMax ?? 0;
    weighted += aloneMax * reason.availability;
    weights += aloneMax;
  }
  const ann = v.fundingAnnualized;
  const crowdedSide =
    ann !== null && Math.abs(ann) >= sp.fundingCrowding.zScoreMinAnnualized ? (ann > 0 ? 'long' : 'short') : null;
  return {
    score,
    fragility: Math.round(fragility * 1000) / 10,
    unwinding: Math.round(unwinding * 1000) / 10,
    confidence: weights > 0 ? Math.round((weighted / weights) * 1000) / 1000 : 0,
    reasons,
    crowdedSide,
  };
}

function strongest(terms: readonly Term[]): { input: ScoreInput | null; share: number } {
  let best: { input: ScoreInput | null; share: number } = { input: null, share: 0 };
  for (const t of terms) if (t.share !== null && t.share > best.share) best = { input: t.input, share: t.share };
  return best;
}

/** Whole numbers adding up to `total`: floors, then one more to the largest remainders. */
function largestRemainder(values: readonly number[], total: number): number[] {
  const floors = values.map((x) => Math.floor(x));
  let left = total - floors.reduce((sum, x) => sum + x, 0);
  const order = values.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    left--;
  }
  // Rounding the total down can leave one point too many among the floors only when values sum above total.
  for (let i = floors.length - 1; left < 0 && i >= 0; i--) {
    if ((floors[i] ?? 0) > 0) {
      floors[i] = (floors[i] ?? 0) - 1;
      left++;
    }
  }
  return floors;
}

const abs = (x: number | null): number | null => (x === null ? null : Math.abs(x));
const neg = (x: number | null): number | null => (x === null ? null : -x);
const term = (input: ScoreInput, x: number | null, s: Saturation): Term => ({ input, share: saturate(x, s) });
/** The named feature values (a plain loop: it runs for every component of every market, every pass). */
function pick(v: FeatureValues, names: readonly FeatureName[]): Partial<Record<ScoreInput, number | null>> {
  const picked: Partial<Record<ScoreInput, number | null>> = {};
  for (const name of names) picked[name] = v[name];
  return picked;
}

const OI_WINDOWS: readonly [FeatureName, FeatureName, string][] = [
  ['oiChange1h', 'priceChange1h', '1 h'],
  ['oiChange4h', 'priceChange4h', '4 h'],
  ['oiChange24h', 'priceChange24h', '24 h'],
];

const EVALUATORS: Readonly<Record<ScoreComponent, (ctx: Context) => Evaluated>> = {
  leverageBuildUp: ({ v, p, forcedClosing }) => {
    const c = p.score.leverageBuildUp;
    const peakShare = saturate(v.oiPeakBuildUp, c.peakBuildUp);
    return {
      terms: [
        term('oiChange1h', v.oiChange1h, c.oiChange1h),
        term('oiChange4h', v.oiChange4h, c.oiChange4h),
        term('oiChange24h', v.oiChange24h, c.oiChange24h),
        // The build-up into the peak is remembered as far as it is being flushed by force.
        { input: 'oiPeakBuildUp', share: peakShare === null ? null : peakShare * forcedClosing },
      ],
      inputs: pick(v, [
        'oiChange1h',
        'oiChange4h',
        'oiChange24h',
        'oiPeakBuildUp',
        'priceChange1h',
        'priceChange4h',
        'priceChange24h',
      ]),
      text: (driver) => {
        if (driver === 'oiPeakBuildUp' && v.oiPeakBuildUp !== null) {
          return `open interest had risen ${signedPercent(v.oiPeakBuildUp)} into its ${duration(p.features.openInterest.peakWindowMs)} peak, now being flushed`;
        }
        // The driving window, else the 4 h one (else whichever is present) to show there is no build-up.
        const window =
          OI_WINDOWS.find(([oi]) => oi === driver) ??
          OI_WINDOWS.find(([oi]) => oi === 'oiChange4h' && v[oi] !== null) ??
          OI_WINDOWS.find(([oi]) => v[oi] !== null);
        if (window === undefined) return 'open interest history too short or missing';
        const [oiName, priceName, label] = window;
        const change = v[oiName] as number;
        const priceChange = v[priceName];
        let pricePart = '';
        if (priceChange !== null) {
          pricePart =
            Math.abs(priceChange) < c.flatPriceChange
              ? ` while price flat (${signedPercent(priceChange)})`
              : ` with price ${signedPercent(priceChange)}`;
        }
        const tail = driver === null ? ': no build-up' : '';
        return `open interest ${signedPercent(change)} in ${label}${pricePart}${tail}`;
      },
    };
  },

  fundingCrowding: ({ v, p }) => {
    const c = p.score.fundingCrowding;
    const ann = v.fundingAnnualized;
    const z = v.fundingZScore;
    const zCounts = ann === null || z === null ? null : Math.abs(ann) >= c.zScoreMinAnnualized ? Math.abs(z) : 0;
    return {
      terms: [term('fundingAnnualized', abs(ann), c.annualized), term('fundingZScore', zCounts, c.zScore)],
      inputs: pick(v, ['fundingRate', 'fundingAnnualized', 'fundingZScore']),
      text: () => {
        if (ann === null) {
          return v.fundingRate === null
            ? 'funding missing'
            : `funding ${signedPercent(v.fundingRate)} per interval (interval unknown)`;
        }
        const payer = ann > 0 ? ' (longs pay)' : ann < 0 ? ' (shorts pay)' : '';
        const zPart =
          z === null
            ? ''
            : `, ${Math.abs(z).toFixed(1)}σ ${z >= 0 ? 'above' : 'below'} its ${duration(p.features.normWindowMs)} norm`;
        return `funding ${signedPercent(ann)}/yr annualized${payer}${zPart}`;
      },
    };
  },

  basisStretch: ({ v, p }) => ({
    terms: [term('basis', abs(v.basis), p.score.basisStretch.basis)],
    inputs: pick(v, ['basis']),
    text: () =>
      v.basis === null
        ? 'basis missing (no mark or index price)'
        : `mark ${percent(Math.abs(v.basis))} ${v.basis >= 0 ? 'above' : 'below'} index`,
  }),

  liquidationLevels: ({ p, near }) => {
    const c = p.score.liquidationLevels;
    if (near === null) {
      return {
        terms: [
          { input: 'nearLevelsShareOfOi', share: null },
          { input: 'nearLevelsToDepth', share: null },
        ],
        inputs: { nearLevelsShareOfOi: null, nearLevelsToDepth: null },
        text: () => 'no liquidation levels estimated',
      };
    }
    const heavierLong = near.longUsd >= near.shortUsd;
    const amount = heavierLong ? near.longUsd : near.shortUsd;
    const share = heavierLong ? near.longShareOfOi : near.shortShareOfOi;
    const depth = heavierLong ? near.bidDepthUsd : near.askDepthUsd;
    // Only a recorded book says what would absorb them; fallback depths are guesses.
    const toDepth = near.depthSource === 'book' && depth > 0 ? amount / depth : null;
    return {
      terms: [term('nearLevelsShareOfOi', share, c.shareOfOi), term('nearLevelsToDepth', toDepth, c.toDepth)],
      inputs: { nearLevelsShareOfOi: share, nearLevelsToDepth: toDepth },
      text: () => {
        const where = `within ${percent(near.withinFraction)} ${heavierLong ? 'below' : 'above'} the price`;
        const sharePart = share === null ? '' : ` (${percent(share)} of open interest`;
        const depthPart = toDepth === null ? '' : `${share === null ? ' (' : ', '}${times(toDepth)} the book there`;
        const close = sharePart !== '' || depthPart !== '' ? ')' : '';
        return `${usd(amount)} of ${heavierLong ? 'long' : 'short'} liquidation levels ${where}${sharePart}${depthPart}${close} (estimate)`;
      },
    };
  },

  liquidityThinness: ({ v, p }) => {
    const c = p.score.liquidityThinness;
    const d = p.features.depth;
    return {
      terms: [term('oiToDepth', v.oiToDepth, c.oiToDepth), term('oiToVolume24h', v.oiToVolume24h, c.oiToVolume)],
      inputs: pick(v, ['oiToDepth', 'oiToVolume24h']),
      text: () => {
        const parts: string[] = [];
        if (v.oiToDepth !== null)
          parts.push(`open interest ${times(v.oiToDepth)} the depth within ${d.oiBandPercent}%`);
        if (v.oiToVolume24h !== null) parts.push(`${times(v.oiToVolume24h)} daily volume`);
        return parts.length === 0 ? 'no depth or volume data' : parts.join('; ');
      },
    };
  },

  liquidationSurge: ({ v, p }) => {
    const c = p.score.liquidationSurge;
    const lp = p.features.liquidations;
    return {
      terms: [
        term('liqSustainedSurge5m', v.liqSustainedSurge5m, c.surgeShort),
        term('liqSustainedSurge15m', v.liqSustainedSurge15m, c.surgeLong),
      ],
      inputs: pick(v, [
        'liqUsd5m',
        'liqUsd15m',
        'liqSurge5m',
        'liqSurge15m',
        'liqSustainedSurge5m',
        'liqSustainedSurge15m',
        'liqLongsUsd5m',
        'liqShortsUsd5m',
      ]),
      text: (driver) => {
        const long = driver === 'liqSustainedSurge15m';
        const total = long ? v.liqUsd15m : v.liqUsd5m;
        if (total === null) return 'liquidations not seen (feed not streamed or silent)';
        const longs = (long ? v.liqLongsUsd15m : v.liqLongsUsd5m) ?? 0;
        const surge = long ? v.liqSurge15m : v.liqSurge5m;
        const sustained = long ? v.liqSustainedSurge15m : v.liqSustainedSurge5m;
        const window = duration(long ? lp.longWindowMs : lp.shortWindowMs);
        // Without enough history of its own, the baseline is the floor: a normal rate for the market's open interest.
        const floor =
          v.openInterestUsd === null
            ? null
            : Math.max(lp.floorUsdPerMinute, lp.floorOiFractionPerMinute * v.openInterestUsd);
        const againstFloor = floor !== null && v.liqBaselineUsdPerMinute !== null && v.liqBaselineUsdPerMinute <= floor;
        const usual = againstFloor ? 'a normal rate for its open interest' : 'the usual';
        let surgePart = ' (no baseline yet)';
        if (surge !== null) {
          // A surge carried by one minute says so: one large print is not a cascade.
          const oneMinute = sustained !== null && surge >= 2 && sustained < surge / 3;
          surgePart = oneMinute ? `, ${times(surge)} ${usual}, nearly all in one minute` : `, ${times(surge)} ${usual}`;
        }
        const sidePart =
          total > 0
            ? longs >= total / 2
              ? ` (${Math.round((100 * longs) / total)}% longs)`
              : ` (${Math.round((100 * (total - longs)) / total)}% shorts)`
            : '';
        return `liquidations ${usd(total)} in ${window}${surgePart}${sidePart}`;
      },
    };
  },

  oiFlush: ({ v, p, surging }) => {
    const c = p.score.oiFlush;
    const peakLabel = duration(p.features.openInterest.peakWindowMs);
    // A fall from the peak that stopped hours ago is a market that has flushed, not one flushing: the memory
    // counts while open interest is still falling or liquidations still surge.
    const fallingNow = v.oiChange1h === null ? 0 : Math.min(1, Math.max(0, -v.oiChange1h) / c.ongoingDrop1h);
    const ongoing = Math.max(surging, fallingNow);
    const fromPeak = saturate(neg(v.oiFromPeak), c.oiDropFromPeak);
    return {
      terms: [
        term('oiChange15m', neg(v.oiChange15m), c.oiDrop15m),
        term('oiChange1h', neg(v.oiChange1h), c.oiDrop1h),
        { input: 'oiFromPeak', share: fromPeak === null ? null : fromPeak * ongoing },
      ],
      inputs: pick(v, ['oiChange15m', 'oiChange1h', 'oiFromPeak']),
      text: (driver) => {
        if (driver === 'oiFromPeak' && v.oiFromPeak !== null) {
          return `open interest ${signedPercent(v.oiFromPeak)} from its ${peakLabel} peak (positions being closed)`;
        }
        const name =
          driver === 'oiChange15m' || driver === 'oiChange1h'
            ? driver
            : v.oiChange1h !== null
              ? 'oiChange1h'
              : v.oiChange15m !== null
                ? 'oiChange15m'
                : null;
        if (name === null) return 'open interest history too short or missing';
        const change = v[name] as number;
        const label = name === 'oiChange15m' ? '15 min' : '1 h';
        return driver === null
          ? `no open-interest flush (${signedPercent(change)} in ${label})`
          : `open interest ${signedPercent(change)} in ${label} (positions being closed)`;
      },
    };
  },

  priceStress: ({ v, p, forcedClosing }) => {
    const c = p.score.priceStress;
    return {
      terms: [
        term('priceChange5m', abs(v.priceChange5m), c.priceChange5m),
        term('priceChange15m', abs(v.priceChange15m), c.priceChange15m),
        term('priceChange1h', abs(v.priceChange1h), c.priceChange1h),
        term('volatilityRatio1h', v.volatilityRatio1h, c.volatilityRatio),
      ],
      inputs: pick(v, ['priceChange5m', 'priceChange15m', 'priceChange1h', 'realizedVol1h', 'volatilityRatio1h']),
      factor: confirmation(p, forcedClosing),
      text: () => {
        const parts: string[] = [];
        const moves: string[] = [];
        if (v.priceChange1h !== null) moves.push(`${signedPercent(v.priceChange1h)} in 1 h`);
        if (v.priceChange15m !== null) moves.push(`${signedPercent(v.priceChange15m)} in 15 min`);
        if (v.priceChange5m !== null) moves.push(`${signedPercent(v.priceChange5m)} in 5 min`);
        if (moves.length > 0) parts.push(`price ${moves.join(', ')}`);
        if (v.volatilityRatio1h !== null) {
          parts.push(`volatility ${times(v.volatilityRatio1h)} its ${duration(p.features.normWindowMs)} norm`);
        }
        return parts.length === 0 ? 'price history missing' : parts.join('; ');
      },
    };
  },

  bookThinning: ({ v, p, forcedClosing }) => {
    const c = p.score.bookThinning;
    const d = p.features.depth;
    return {
      terms: [term('depthThinning', v.depthThinning === null ? null : 1 - v.depthThinning, c.depthLoss)],
      inputs: pick(v, ['depthUsd', 'depthThinning']),
      factor: confirmation(p, forcedClosing),
      text: () =>
        v.depthThinning === null
          ? v.depthUsd === null
            ? 'no order-book depth'
            : `book within ${d.thinningBandPercent}% holds ${usd(v.depthUsd)} (no norm yet)`
          : `book within ${d.thinningBandPercent}% at ${percent(v.depthThinning)} of its usual depth`,
    };
  },
};

/** The factor on price stress and book thinning: the floor without forced closing, whole with it. */
function confirmation(p: RiskParameters, forcedClosing: number): number {
  const floor = p.score.confirmationFloor;
  return floor + (1 - floor) * forcedClosing;
}

// The spiral score: seven components, each mapping its features through a saturating function to a share of its
// points. Components are rounded to whole points and the score is their sum, so the reasons add up exactly.
// A missing feature gives no points and lowers the confidence; it never counts as zero evidence of calm or of
// stress. docs/risk.md describes each component.
import type { PositionSide } from '../domain/market.js';
import type { FeatureName, FeatureValues } from './features.js';
import { duration, percent, signedPercent, times, usd } from '../domain/format.js';
import { saturate } from './math.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters, Saturation } from './parameters.js';

export const SCORE_COMPONENTS = [
  'leverageBuildUp',
  'fundingCrowding',
  'basisStretch',
  'liquidationSurge',
  'priceStress',
  'liquidityThinness',
  'oiFlush',
] as const;
export type ScoreComponent = (typeof SCORE_COMPONENTS)[number];

export const COMPONENT_LABELS: Readonly<Record<ScoreComponent, string>> = {
  leverageBuildUp: 'Leverage build-up',
  fundingCrowding: 'Funding crowding',
  basisStretch: 'Basis stretch',
  liquidationSurge: 'Liquidation surge',
  priceStress: 'Price stress',
  liquidityThinness: 'Liquidity thinness',
  oiFlush: 'Open-interest flush',
};

export interface ScoreReason {
  component: ScoreComponent;
  label: string;
  /** Whole points contributed; the reasons' points add up to the score. */
  points: number;
  maxPoints: number;
  /** Share of the component's inputs that were present (0-1). */
  availability: number;
  /** One line with the numbers, e.g. "open interest +18% in 4 h while price flat (+0.3%)". */
  text: string;
  /** The input that gave the points (the strongest), or null when none gave any. */
  driver: FeatureName | null;
  /** The inputs the component read, as they were (null = missing). */
  inputs: Partial<FeatureValues>;
}

export interface SpiralScore {
  /** 0-100, the sum of the reasons' points. */
  score: number;
  /** 0-1: the components' availability weighted by their maximum points. */
  confidence: number;
  /** One per component, in SCORE_COMPONENTS order. */
  reasons: ScoreReason[];
  /** The side funding says is crowded (pays the other), when funding is stretched at least a little. */
  crowdedSide: PositionSide | null;
}

interface Term {
  feature: FeatureName;
  share: number | null;
}

interface Evaluated {
  terms: Term[];
  inputs: FeatureName[];
  text: (driver: FeatureName | null) => string;
}

/** Scores a market's features. */
export function scoreFeatures(v: FeatureValues, params: RiskParameters = DEFAULT_RISK_PARAMETERS): SpiralScore {
  const reasons = SCORE_COMPONENTS.map((component) => {
    const { maxPoints } = params.score[component];
    const evaluated = EVALUATORS[component](v, params);
    let share = 0;
    let driver: FeatureName | null = null;
    let available = 0;
    for (const term of evaluated.terms) {
      if (term.share === null) continue;
      available++;
      if (term.share > share) {
        share = term.share;
        driver = term.feature;
      }
    }
    const inputs: Partial<FeatureValues> = {};
    for (const name of evaluated.inputs) inputs[name] = v[name];
    const reason: ScoreReason = {
      component,
      label: COMPONENT_LABELS[component],
      points: Math.round(maxPoints * share),
      maxPoints,
      availability: evaluated.terms.length === 0 ? 0 : available / evaluated.terms.length,
      text: evaluated.text(driver),
      driver,
      inputs,
    };
    return reason;
  });
  let score = 0;
  let weighted = 0;
  for (const reason of reasons) {
    score += reason.points;
    weighted += reason.maxPoints * reason.availability;
  }
  const ann = v.fundingAnnualized;
  const crowdedSide =
    ann !== null && Math.abs(ann) >= params.score.fundingCrowding.zScoreMinAnnualized
      ? ann > 0
        ? 'long'
        : 'short'
      : null;
  return { score, confidence: Math.round(weighted * 10) / 1000, reasons, crowdedSide };
}

const abs = (x: number | null): number | null => (x === null ? null : Math.abs(x));
const neg = (x: number | null): number | null => (x === null ? null : -x);
const term = (feature: FeatureName, x: number | null, s: Saturation): Term => ({ feature, share: saturate(x, s) });

const OI_WINDOWS: readonly [FeatureName, FeatureName, string][] = [
  ['oiChange1h', 'priceChange1h', '1 h'],
  ['oiChange4h', 'priceChange4h', '4 h'],
  ['oiChange24h', 'priceChange24h', '24 h'],
];

const EVALUATORS: Readonly<Record<ScoreComponent, (v: FeatureValues, p: RiskParameters) => Evaluated>> = {
  leverageBuildUp: (v, p) => {
    const c = p.score.leverageBuildUp;
    return {
      terms: [
        term('oiChange1h', v.oiChange1h, c.oiChange1h),
        term('oiChange4h', v.oiChange4h, c.oiChange4h),
        term('oiChange24h', v.oiChange24h, c.oiChange24h),
      ],
      inputs: ['oiChange1h', 'oiChange4h', 'oiChange24h', 'priceChange1h', 'priceChange4h', 'priceChange24h'],
      text: (driver) => {
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

  fundingCrowding: (v, p) => {
    const c = p.score.fundingCrowding;
    const ann = v.fundingAnnualized;
    const z = v.fundingZScore;
    const zCounts = ann === null || z === null ? null : Math.abs(ann) >= c.zScoreMinAnnualized ? Math.abs(z) : 0;
    return {
      terms: [term('fundingAnnualized', abs(ann), c.annualized), term('fundingZScore', zCounts, c.zScore)],
      inputs: ['fundingRate', 'fundingAnnualized', 'fundingZScore'],
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

  basisStretch: (v, p) => ({
    terms: [term('basis', abs(v.basis), p.score.basisStretch.basis)],
    inputs: ['basis'],
    text: () =>
      v.basis === null
        ? 'basis missing (no mark or index price)'
        : `mark ${percent(Math.abs(v.basis))} ${v.basis >= 0 ? 'above' : 'below'} index`,
  }),

  liquidationSurge: (v, p) => {
    const c = p.score.liquidationSurge;
    const lp = p.features.liquidations;
    return {
      terms: [term('liqSurge5m', v.liqSurge5m, c.surgeShort), term('liqSurge15m', v.liqSurge15m, c.surgeLong)],
      inputs: ['liqUsd5m', 'liqUsd15m', 'liqSurge5m', 'liqSurge15m', 'liqLongsUsd5m', 'liqShortsUsd5m'],
      text: (driver) => {
        const long = driver === 'liqSurge15m';
        const total = long ? v.liqUsd15m : v.liqUsd5m;
        if (total === null) return 'liquidations not seen (feed not streamed or silent)';
        const longs = (long ? v.liqLongsUsd15m : v.liqLongsUsd5m) ?? 0;
        const surge = long ? v.liqSurge15m : v.liqSurge5m;
        const window = duration(long ? lp.longWindowMs : lp.shortWindowMs);
        // Without enough history of its own, the baseline is the floor: a normal rate for the market's open interest.
        const floor =
          v.openInterestUsd === null
            ? null
            : Math.max(lp.floorUsdPerMinute, lp.floorOiFractionPerMinute * v.openInterestUsd);
        const againstFloor = floor !== null && v.liqBaselineUsdPerMinute !== null && v.liqBaselineUsdPerMinute <= floor;
        const surgePart =
          surge === null
            ? ' (no baseline yet)'
            : `, ${times(surge)} ${againstFloor ? 'a normal rate for its open interest' : 'the usual'}`;
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

  priceStress: (v, p) => {
    const c = p.score.priceStress;
    return {
      terms: [
        term('priceChange5m', abs(v.priceChange5m), c.priceChange5m),
        term('priceChange1h', abs(v.priceChange1h), c.priceChange1h),
        term('volatilityRatio1h', v.volatilityRatio1h, c.volatilityRatio),
      ],
      inputs: ['priceChange5m', 'priceChange1h', 'realizedVol1h', 'volatilityRatio1h'],
      text: () => {
        const parts: string[] = [];
        const moves: string[] = [];
        if (v.priceChange1h !== null) moves.push(`${signedPercent(v.priceChange1h)} in 1 h`);
        if (v.priceChange5m !== null) moves.push(`${signedPercent(v.priceChange5m)} in 5 min`);
        if (moves.length > 0) parts.push(`price ${moves.join(', ')}`);
        if (v.volatilityRatio1h !== null) {
          parts.push(`volatility ${times(v.volatilityRatio1h)} its ${duration(p.features.normWindowMs)} norm`);
        }
        return parts.length === 0 ? 'price history missing' : parts.join('; ');
      },
    };
  },

  liquidityThinness: (v, p) => {
    const c = p.score.liquidityThinness;
    const d = p.features.depth;
    return {
      terms: [
        term('depthThinning', v.depthThinning === null ? null : 1 - v.depthThinning, c.depthLoss),
        term('oiToDepth', v.oiToDepth, c.oiToDepth),
        term('oiToVolume24h', v.oiToVolume24h, c.oiToVolume),
      ],
      inputs: ['depthUsd', 'depthThinning', 'oiToDepth', 'oiToVolume24h'],
      text: () => {
        const parts: string[] = [];
        if (v.depthThinning !== null) {
          parts.push(`book within ${d.thinningBandPercent}% at ${percent(v.depthThinning)} of its usual depth`);
        }
        if (v.oiToDepth !== null) {
          parts.push(`open interest ${times(v.oiToDepth)} the depth within ${d.oiBandPercent}%`);
        }
        if (v.oiToVolume24h !== null) parts.push(`${times(v.oiToVolume24h)} daily volume`);
        return parts.length === 0 ? 'no depth or volume data' : parts.join('; ');
      },
    };
  },

  oiFlush: (v, p) => {
    const c = p.score.oiFlush;
    return {
      terms: [term('oiChange15m', neg(v.oiChange15m), c.oiDrop15m), term('oiChange1h', neg(v.oiChange1h), c.oiDrop1h)],
      inputs: ['oiChange15m', 'oiChange1h'],
      text: (driver) => {
        const name = driver ?? (v.oiChange1h !== null ? 'oiChange1h' : v.oiChange15m !== null ? 'oiChange15m' : null);
        if (name === null) return 'open interest history too short or missing';
        const change = v[name] as number;
        const label = name === 'oiChange15m' ? '15 min' : '1 h';
        return driver === null
          ? `no open-interest flush (${signedPercent(change)} in ${label})`
          : `open interest ${signedPercent(change)} in ${label} (positions being closed)`;
      },
    };
  },
};

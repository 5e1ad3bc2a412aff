// The regime of a market: 'loaded' (leverage building up, a spiral waiting for a trigger), 'unwinding' (a spiral
// under way) or 'quiet'. Each signal is true, false or null (its inputs are missing); a missing signal never
// counts as met.
import type { NearLiquidationLevels } from './cascade.js';
import type { FeatureValues } from './features.js';
import { duration, percent, signedPercent, times, usd } from '../domain/format.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';

export const REGIMES = ['quiet', 'loaded', 'unwinding'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeSignal {
  name:
    | 'liquidationSurge'
    | 'oiFalling'
    | 'priceMoving'
    | 'depthThinning'
    | 'oiRising'
    | 'fundingStretched'
    | 'nearDenseLevels';
  /** null: the inputs are missing. */
  met: boolean | null;
  /** The numbers behind it, e.g. "liquidations 9× the usual in 5 min". */
  text: string;
}

export interface RegimeAssessment {
  regime: Regime;
  /** One line, e.g. "unwinding: liquidations 9× the usual in 5 min; open interest -6% in 15 min". */
  reason: string;
  /** The unwinding signals, then the loaded ones. */
  signals: RegimeSignal[];
}

/**
 * Unwinding: at least `minSignals` of liquidation surge, open interest falling, price moving, depth thinning, one
 * of them the surge or the fall (a spiral needs forced closing); or the surge or the fall alone when the score's
 * unwinding part is at warning strength by itself (the first minutes of a cascade, before the price has moved). Loaded: open interest rising, with funding
 * stretched or dense liquidation levels near the price. Unwinding wins over loaded.
 */
export function classifyRegime(
  v: FeatureValues,
  near: NearLiquidationLevels | null,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
  /** The score's unwinding sub-score (0-100): forced closing that alone is at warning strength is an unwinding. */
  unwindingScore: number | null = null,
): RegimeAssessment {
  const u = params.regimes.unwinding;
  const l = params.regimes.loaded;
  const lp = params.features.liquidations;

  const surge = anyOf([
    [v.liqSurge5m, (x) => x >= u.surge, (x) => `liquidations ${times(x)} the usual in ${duration(lp.shortWindowMs)}`],
    [v.liqSurge15m, (x) => x >= u.surge, (x) => `liquidations ${times(x)} the usual in ${duration(lp.longWindowMs)}`],
  ]);
  const oiFalling = anyOf([
    [v.oiChange15m, (x) => -x >= u.oiDrop15m, (x) => `open interest ${signedPercent(x)} in 15 min`],
    [v.oiChange1h, (x) => -x >= u.oiDrop1h, (x) => `open interest ${signedPercent(x)} in 1 h`],
  ]);
  const priceMoving = anyOf([
    [v.priceChange5m, (x) => Math.abs(x) >= u.priceMove5m, (x) => `price ${signedPercent(x)} in 5 min`],
    [v.priceChange1h, (x) => Math.abs(x) >= u.priceMove1h, (x) => `price ${signedPercent(x)} in 1 h`],
  ]);
  const thinning = anyOf([
    [v.depthThinning, (x) => x <= u.depthThinning, (x) => `book at ${percent(x)} of its usual depth`],
  ]);
  const unwinding: RegimeSignal[] = [
    { name: 'liquidationSurge', ...surge },
    { name: 'oiFalling', ...oiFalling },
    { name: 'priceMoving', ...priceMoving },
    { name: 'depthThinning', ...thinning },
  ];

  const oiRising = anyOf([
    [v.oiChange1h, (x) => x >= l.oiRise1h, (x) => `open interest ${signedPercent(x)} in 1 h`],
    [v.oiChange4h, (x) => x >= l.oiRise4h, (x) => `open interest ${signedPercent(x)} in 4 h`],
    [v.oiChange24h, (x) => x >= l.oiRise24h, (x) => `open interest ${signedPercent(x)} in 24 h`],
  ]);
  const ann = v.fundingAnnualized;
  const fundingStretched = anyOf([
    [ann, (x) => Math.abs(x) >= l.fundingAnnualized, (x) => `funding ${signedPercent(x)}/yr`],
    [
      ann === null ? null : v.fundingZScore,
      (z) => Math.abs(z) >= l.fundingZScore && Math.abs(ann ?? 0) >= l.fundingZScoreMinAnnualized,
      (z) => `funding ${Math.abs(z).toFixed(1)}σ from its norm`,
    ],
  ]);
  const dense = nearDense(near, params);
  const loaded: RegimeSignal[] = [
    { name: 'oiRising', ...oiRising },
    { name: 'fundingStretched', ...fundingStretched },
    { name: 'nearDenseLevels', ...dense },
  ];

  const signals = [...unwinding, ...loaded];
  const metUnwinding = unwinding.filter((s) => s.met === true);
  const forcedClosing = surge.met === true || oiFalling.met === true;
  const strongUnwind = unwindingScore !== null && unwindingScore >= params.levels.enter.warning;
  if (forcedClosing && (metUnwinding.length >= u.minSignals || strongUnwind)) {
    return { regime: 'unwinding', reason: `unwinding: ${metUnwinding.map((s) => s.text).join('; ')}`, signals };
  }
  if (oiRising.met === true && (fundingStretched.met === true || dense.met === true)) {
    const met = loaded.filter((s) => s.met === true);
    return { regime: 'loaded', reason: `loaded: ${met.map((s) => s.text).join('; ')}`, signals };
  }
  return { regime: 'quiet', reason: quietReason(oiRising, signals), signals };
}

type Check = [value: number | null, met: (x: number) => boolean, text: (x: number) => string];

/** Met when any present check is met; null when none is present. Its text is the first met (else first present). */
function anyOf(checks: readonly Check[]): Pick<RegimeSignal, 'met' | 'text'> {
  let firstPresent: string | null = null;
  for (const [value, met, text] of checks) {
    if (value === null) continue;
    if (met(value)) return { met: true, text: text(value) };
    firstPresent ??= text(value);
  }
  return firstPresent === null ? { met: null, text: 'missing' } : { met: false, text: firstPresent };
}

function nearDense(near: NearLiquidationLevels | null, params: RiskParameters): Pick<RegimeSignal, 'met' | 'text'> {
  if (near === null) return { met: null, text: 'no liquidation levels estimated' };
  const l = params.regimes.loaded;
  const within = percent(near.withinFraction);
  const sides = [
    { side: 'long', where: 'below', amount: near.longUsd, share: near.longShareOfOi, depth: near.bidDepthUsd },
    { side: 'short', where: 'above', amount: near.shortUsd, share: near.shortShareOfOi, depth: near.askDepthUsd },
  ];
  const describe = (s: (typeof sides)[number]): string => {
    const share = s.share === null ? '' : ` (${percent(s.share)} of open interest)`;
    return `${usd(s.amount)} of ${s.side} liquidation levels within ${within} ${s.where} the price${share}`;
  };
  // The book depth only counts when it was recorded; the fallback depths are guesses.
  const isDense = (s: (typeof sides)[number]): boolean =>
    (s.share !== null && s.share >= l.nearShareOfOi) ||
    (near.depthSource === 'book' && s.depth > 0 && s.amount / s.depth >= l.nearToDepth);
  const denseSide = sides.find(isDense);
  if (denseSide !== undefined) return { met: true, text: describe(denseSide) };
  const larger = (sides[0] as (typeof sides)[number]).amount >= (sides[1] as (typeof sides)[number]).amount ? 0 : 1;
  return { met: false, text: describe(sides[larger] as (typeof sides)[number]) };
}

function quietReason(oiRising: Pick<RegimeSignal, 'met' | 'text'>, signals: readonly RegimeSignal[]): string {
  if (signals.every((s) => s.met === null)) return 'quiet: not enough data to judge';
  if (oiRising.met === true) {
    return `quiet: ${oiRising.text}, but funding is not stretched and no dense liquidation levels sit near the price`;
  }
  const partial = signals.filter((s) => s.met === true);
  if (partial.length > 0) return `quiet: only ${partial.map((s) => s.text).join('; ')}`;
  return 'quiet: no leverage build-up and no forced selling';
}

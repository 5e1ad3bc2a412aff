// One market's full assessment for a cycle: features, spiral score with its reasons, level with hysteresis,
// regime, and the liquidation levels near the price. This is what the `risk` command and the alert rules read.
import type { ExchangeId, LiquidationCoverage, MarketHistory, MarketKey, PositionSide } from '../domain/market.js';
import { buildLiquidationProfile, nearLiquidationLevels } from './cascade.js';
import type { CascadeUnavailable, LiquidationProfile, NearLiquidationLevels, ProfileOptions } from './cascade.js';
import { computeFeatures } from './features.js';
import type { MarketFeatures } from './features.js';
import { nextLevel } from './levels.js';
import type { RiskLevel } from './levels.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';
import { classifyRegime } from './regimes.js';
import type { RegimeAssessment } from './regimes.js';
import { scoreFeatures } from './score.js';
import type { ScoreReason } from './score.js';

export interface AssessOptions {
  /** The market's level after the previous cycle (null or absent: calm). */
  previousLevel?: RiskLevel | null;
  /** How the venue's liquidations are seen (from its health). */
  liquidationCoverage?: LiquidationCoverage;
  /** The venue's maintenance margin tiers for this market (see ProfileOptions). */
  marginTiers?: ProfileOptions['marginTiers'];
  /** The liquidation profile (or why there is none) already built for this market and time, e.g. for the grid. */
  profile?: LiquidationProfile | CascadeUnavailable;
}

export interface MarketAssessment {
  market: MarketKey;
  exchange: ExchangeId;
  symbol: string;
  at: number;
  /** 0-100, the sum of the reasons' points. */
  score: number;
  level: RiskLevel;
  previousLevel: RiskLevel | null;
  levelChanged: boolean;
  /** 0-1: how much of the score's inputs were present. */
  confidence: number;
  /** Per component: points, maximum, one line with the numbers. */
  reasons: ScoreReason[];
  /** The two sub-scores, 0-100: how loaded the market is, and how strongly it is unwinding. */
  fragility: number;
  unwinding: number;
  regime: RegimeAssessment;
  crowdedSide: PositionSide | null;
  openInterestUsd: number | null;
  price: number | null;
  /** Liquidation levels within `regimes.loaded.nearFraction` of the price, or null when no profile could be built. */
  nearLiquidationLevels: NearLiquidationLevels | null;
  /** Why there are no liquidation levels, when there are none. */
  liquidationLevelsUnavailable: string | null;
  features: MarketFeatures;
}

/** Assesses one market at `now`. */
export function assessMarket(
  history: MarketHistory,
  now: number,
  options: AssessOptions = {},
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): MarketAssessment {
  const features = computeFeatures(history, now, { liquidationCoverage: options.liquidationCoverage }, params);
  const profile =
    options.profile ?? buildLiquidationProfile(history, now, { marginTiers: options.marginTiers }, params);
  const near = profile.ok ? nearLiquidationLevels(profile, params.regimes.loaded.nearFraction) : null;
  const scored = scoreFeatures(features, params, near);
  const previousLevel = options.previousLevel ?? null;
  const level = nextLevel(previousLevel, scored.score, params);
  return {
    market: features.market,
    exchange: features.exchange,
    symbol: features.symbol,
    at: now,
    score: scored.score,
    level,
    previousLevel,
    levelChanged: level !== (previousLevel ?? 'calm'),
    confidence: scored.confidence,
    reasons: scored.reasons,
    fragility: scored.fragility,
    unwinding: scored.unwinding,
    regime: classifyRegime(features, near, params, scored.unwinding),
    crowdedSide: scored.crowdedSide,
    openInterestUsd: features.openInterestUsd,
    price: features.price,
    nearLiquidationLevels: near,
    liquidationLevelsUnavailable: profile.ok ? null : profile.reason,
    features,
  };
}

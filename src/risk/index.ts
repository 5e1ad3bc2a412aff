// The risk engine's public API: pure functions of a market's history and time (see docs/risk.md).
export {
  DEFAULT_RISK_PARAMETERS,
  resolveRiskParameters,
  riskParametersSchema,
  marginTierSchema,
  leverageBucketSchema,
} from './parameters.js';
export type { RiskParameters, RiskParameterOverrides, MarginTier, LeverageBucket, Saturation } from './parameters.js';
export { FEATURE_NAMES, computeFeatures, emptyFeatureValues } from './features.js';
export type { FeatureContext, FeatureName, FeatureValues, MarketFeatures } from './features.js';
export { COMPONENT_LABELS, SCORE_COMPONENTS, scoreFeatures } from './score.js';
export type { ScoreComponent, ScoreReason, SpiralScore } from './score.js';
export {
  RISK_LEVELS,
  compareLevels,
  enterThreshold,
  levelOf,
  levelSeries,
  nextLevel,
  stayThreshold,
} from './levels.js';
export type { RiskLevel } from './levels.js';
export { REGIMES, classifyRegime } from './regimes.js';
export type { Regime, RegimeAssessment, RegimeSignal } from './regimes.js';
export { assessMarket } from './assess.js';
export type { AssessOptions, MarketAssessment } from './assess.js';
export { marketWideScore } from './marketWide.js';
export type {
  ExchangeScore,
  MarketContributor,
  MarketWideAssessment,
  MarketWideInput,
  MarketWideOptions,
} from './marketWide.js';
export {
  DEFAULT_SHOCK,
  buildLiquidationProfile,
  estimateCascade,
  liquidationLevels,
  nearLiquidationLevels,
  profileAssumptions,
  runCascade,
} from './cascade.js';
export type {
  CascadeEstimate,
  CascadeInput,
  CascadeOutcome,
  CascadeRound,
  CascadeShock,
  CascadeUnavailable,
  DepthSource,
  LiquidationBand,
  LiquidationLevels,
  LiquidationProfile,
  NearLiquidationLevels,
  ProfileOptions,
  ShockDirection,
  SideLevels,
} from './cascade.js';
export { depthCurveFromBands, depthWithin, flatDepthCurve, impactOf } from './impact.js';
export type { DepthCurve } from './impact.js';
export { DEFAULT_STRESS_SHOCKS, stressGrid } from './stressGrid.js';
export type { StressGridMarket, StressGridResult, StressGridRow } from './stressGrid.js';
export { levelsOf, runRiskCycle } from './cycle.js';
export type { RiskCycle, RiskCycleInput } from './cycle.js';

// One pass of the risk engine over every watched market: assessments with hysteresis carried from the previous
// pass, the market-wide score, and the stress grid. Pure: the caller reads the histories and keeps the result.
import type { ExchangeId, LeverageTier, LiquidationCoverage, MarketHistory, MarketKey } from '../domain/market.js';
import { assessMarket, type MarketAssessment } from './assess.js';
import { buildLiquidationProfile, type LiquidationProfile } from './cascade.js';
import type { RiskLevel } from './levels.js';
import { marketWideScore, type MarketWideAssessment } from './marketWide.js';
import { DEFAULT_RISK_PARAMETERS, type RiskParameters } from './parameters.js';
import { stressGrid, type StressGridResult } from './stressGrid.js';

export interface RiskCycleInput {
  histories: readonly MarketHistory[];
  now: number;
  /** Each market's level after the previous pass, for hysteresis. */
  previousLevels?: ReadonlyMap<MarketKey, RiskLevel>;
  previousMarketWideLevel?: RiskLevel | null;
  coverage?: (exchange: ExchangeId) => LiquidationCoverage | undefined;
  leverageTiers?: (exchange: ExchangeId, symbol: string) => readonly LeverageTier[] | undefined;
}

export interface RiskCycle {
  at: number;
  /** Highest score first. */
  markets: readonly MarketAssessment[];
  marketWide: MarketWideAssessment;
  stress: StressGridResult;
  /** The liquidation profiles built on the way, for cascade estimates at the same time. */
  profiles: ReadonlyMap<MarketKey, LiquidationProfile>;
}

export function runRiskCycle(input: RiskCycleInput, params: RiskParameters = DEFAULT_RISK_PARAMETERS): RiskCycle {
  const profiles = new Map<MarketKey, LiquidationProfile>();
  const markets = input.histories
    .filter((history) => history.snapshots.length > 0)
    .map((history) => {
      const marginTiers = input.leverageTiers?.(history.exchange, history.symbol);
      const profile = buildLiquidationProfile(history, input.now, { marginTiers }, params);
      const assessment = assessMarket(
        history,
        input.now,
        {
          previousLevel: input.previousLevels?.get(`${history.exchange}:${history.symbol}`) ?? null,
          liquidationCoverage: input.coverage?.(history.exchange),
          marginTiers,
          profile,
        },
        params,
      );
      if (profile.ok) profiles.set(assessment.market, profile);
      return assessment;
    })
    .sort((a, b) => b.score - a.score || (b.openInterestUsd ?? 0) - (a.openInterestUsd ?? 0));
  const marketWide = marketWideScore(
    markets,
    input.now,
    { previousLevel: input.previousMarketWideLevel ?? null },
    params,
  );
  return {
    at: input.now,
    markets,
    marketWide,
    stress: stressGrid([...profiles.values()], undefined, params),
    profiles,
  };
}

/** Each market's level, to carry into the next pass. */
export function levelsOf(cycle: RiskCycle): Map<MarketKey, RiskLevel> {
  return new Map(cycle.markets.map((m) => [m.market, m.level]));
}

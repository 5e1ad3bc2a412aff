// The stress grid: every market x a list of shocks, each shock applied to every market at once (no contagion
// between markets), summed per shock with the markets that would lose the most. Profiles are built once per
// market (buildLiquidationProfile); each cell is then a walk over two sorted arrays.
import type { MarketKey } from '../domain/market.js';
import { runCascade } from './cascade.js';
import type { CascadeShock, LiquidationProfile } from './cascade.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';

/** Ten shocks down and ten up, from 1% to 25%. */
export const DEFAULT_STRESS_SHOCKS: readonly CascadeShock[] = [
  0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25,
].flatMap((shock) => [
  { shock, direction: 'down' as const },
  { shock, direction: 'up' as const },
]);

export interface StressGridMarket {
  market: MarketKey;
  liquidatedUsd: number;
  totalMove: number;
  amplification: number;
}

export interface StressGridRow extends CascadeShock {
  /** Liquidated USD summed over the markets (longs for a shock down, shorts for one up). */
  liquidatedUsd: number;
  /** The open-interest-weighted mean of the markets' total moves. */
  meanMove: number;
  marketsWithLiquidations: number;
  /** The markets with the most liquidated USD, most first. */
  worst: StressGridMarket[];
}

export interface StressGridResult {
  estimate: true;
  markets: number;
  openInterestUsd: number;
  rows: StressGridRow[];
  assumptions: string[];
}

export function stressGrid(
  profiles: readonly LiquidationProfile[],
  shocks: readonly CascadeShock[] = DEFAULT_STRESS_SHOCKS,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): StressGridResult {
  const worstCount = params.stressGrid.worstMarkets;
  let openInterestUsd = 0;
  for (const profile of profiles) openInterestUsd += profile.openInterestUsd;
  const rows = shocks.map((shock): StressGridRow => {
    let liquidatedUsd = 0;
    let weightedMove = 0;
    let marketsWithLiquidations = 0;
    const worst: StressGridMarket[] = [];
    for (const profile of profiles) {
      const outcome = runCascade(profile, shock.shock, shock.direction, params);
      liquidatedUsd += outcome.liquidatedUsd;
      weightedMove += outcome.totalMove * profile.openInterestUsd;
      if (outcome.liquidatedUsd <= 0) continue;
      marketsWithLiquidations++;
      const last = worst[worst.length - 1];
      if (worst.length < worstCount || (last !== undefined && outcome.liquidatedUsd > last.liquidatedUsd)) {
        insertSorted(worst, worstCount, {
          market: profile.market,
          liquidatedUsd: outcome.liquidatedUsd,
          totalMove: outcome.totalMove,
          amplification: shock.shock > 0 ? outcome.totalMove / shock.shock : 1,
        });
      }
    }
    return {
      shock: shock.shock,
      direction: shock.direction,
      liquidatedUsd,
      meanMove: openInterestUsd > 0 ? weightedMove / openInterestUsd : shock.shock,
      marketsWithLiquidations,
      worst,
    };
  });
  return {
    estimate: true,
    markets: profiles.length,
    openInterestUsd,
    rows,
    assumptions: [
      'An estimate: each shock hits every market at once, each market cascading on its own book; no contagion ' +
        'between markets or venues is modelled.',
      'Per market, the assumptions of the cascade estimate apply (leverage mix, maintenance margin, entry ' +
        'prices from open-interest history, recorded or fallback depth).',
    ],
  };
}

/** Keeps `list` sorted by liquidated USD, most first, and at most `limit` long. */
function insertSorted(list: StressGridMarket[], limit: number, item: StressGridMarket): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as StressGridMarket).liquidatedUsd < item.liquidatedUsd) i--;
  list.splice(i, 0, item);
  if (list.length > limit) list.pop();
}

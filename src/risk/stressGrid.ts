// The stress grid: every market x a list of shocks, each shock applied to every market at once (no contagion
// between markets), summed per shock with the markets that would lose the most. Profiles are built once per
// market (buildLiquidationProfile); each cell is then a walk over two sorted arrays.
import type { MarketKey } from '../domain/market.js';
import { CASCADE_CALIBRATION, levelsWithin, runCascade } from './cascade.js';
import type { CascadeShock, LiquidationProfile, ShockDirection } from './cascade.js';
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
      'Per market, the assumptions of the cascade estimate apply (hedged share and leverage mix, maintenance ' +
        `margin, entry prices from open-interest history, recorded or fallback depth; ${CASCADE_CALIBRATION}).`,
    ],
  };
}

/** A move that happened: its size (a positive fraction from the price the profile was built at) and way. */
export interface RealisedMove {
  move: number;
  direction: ShockDirection;
}

export interface RealisedMoveMarket extends RealisedMove {
  market: MarketKey;
  openInterestUsd: number;
  liquidatedUsd: number;
}

export interface RealisedMoveLiquidation {
  estimate: true;
  openInterestUsd: number;
  liquidatedUsd: number;
  /** liquidatedUsd over openInterestUsd (0 without open interest). */
  shareOfOi: number;
  markets: RealisedMoveMarket[];
}

/**
 * The estimated liquidations of moves that happened, the measure the estimator is calibrated on: per market, the
 * USD of the levels within its realised move, i.e. what a cascade walk liquidates when its total move equals the
 * realised move. The walk's own amplification is not added on top: a realised move already holds the impact of
 * the forced orders, and taking it as the shock would count that impact twice. Markets without a move are left
 * out (their open interest too).
 */
export function realisedMoveLiquidation(
  profiles: readonly LiquidationProfile[],
  moveOf: (profile: LiquidationProfile) => RealisedMove | null,
): RealisedMoveLiquidation {
  const markets: RealisedMoveMarket[] = [];
  let openInterestUsd = 0;
  let liquidatedUsd = 0;
  for (const profile of profiles) {
    const realised = moveOf(profile);
    if (realised === null) continue;
    const move = Math.max(0, realised.move);
    const liquidated = levelsWithin(profile, move, realised.direction);
    markets.push({
      market: profile.market,
      move,
      direction: realised.direction,
      openInterestUsd: profile.openInterestUsd,
      liquidatedUsd: liquidated,
    });
    openInterestUsd += profile.openInterestUsd;
    liquidatedUsd += liquidated;
  }
  return {
    estimate: true,
    openInterestUsd,
    liquidatedUsd,
    shareOfOi: openInterestUsd > 0 ? liquidatedUsd / openInterestUsd : 0,
    markets,
  };
}

/** Keeps `list` sorted by liquidated USD, most first, and at most `limit` long. */
function insertSorted(list: StressGridMarket[], limit: number, item: StressGridMarket): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as StressGridMarket).liquidatedUsd < item.liquidatedUsd) i--;
  list.splice(i, 0, item);
  if (list.length > limit) list.pop();
}

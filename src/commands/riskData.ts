// The risk figures commands show: the running bot's latest pass when there is a recent one, else a pass computed
// now from the stored history (the CLI, or the first seconds after start-up).
import type { MarketHistory } from '../domain/market.js';
import { runRiskCycle, type RiskCycle } from '../risk/cycle.js';
import type { Services } from './command.js';
import { FRESH_SNAPSHOT_MS, isFresh } from './dataState.js';

/** How much history a pass reads: the window the risk engine's features look back over. */
export const RISK_HISTORY_MS = 24 * 60 * 60 * 1000;

/** The histories of the markets with a fresh snapshot: a market whose data stopped is not scored as calm. */
export function histories(services: Services, now: number): MarketHistory[] {
  const market = services.market;
  if (!market) return [];
  return market
    .markets()
    .map((m) => market.history(m.exchange, m.symbol, now - RISK_HISTORY_MS))
    .filter((h) => {
      const last = h.snapshots.at(-1);
      return last !== undefined && isFresh(last, now);
    });
}

export function currentRisk(services: Services, now: number): RiskCycle | undefined {
  const latest = services.risk?.latest();
  // A pass older than the data it may read (the loop stopped or keeps failing) no longer says how things are.
  if (latest && latest.at >= now - FRESH_SNAPSHOT_MS) return latest;
  if (!services.market) return undefined;
  const coverage = new Map(services.health?.venueHealth().map((h) => [h.exchange, h.liquidationCoverage]));
  const cycle = runRiskCycle({
    histories: histories(services, now),
    now,
    coverage: (exchange) => coverage.get(exchange),
    leverageTiers: services.leverageTiers,
  });
  return cycle.markets.length > 0 ? cycle : undefined;
}

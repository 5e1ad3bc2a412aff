// Which markets get a per-symbol open-interest request this cycle, on venues without a bulk call (Binance).
// Tiered: the largest markets by open interest every cycle, the rest by staleness so that each is refreshed within
// `spreadCycles` cycles, all within a per-cycle request budget. Markets whose open interest is not known yet
// (the first poll, markets listed since) are asked for first and outside the budget: the min-OI filter needs them.

export interface OpenInterestPlanInput {
  /** Watched markets with their open interest in USD (null when not known). */
  watched: readonly { symbol: string; openInterestUsd: number | null }[];
  /** Candidate markets whose open interest was never read. */
  unknown: readonly string[];
  /** The cycle in which each market's open interest was last read. */
  lastReadCycle: ReadonlyMap<string, number>;
  /** How many of the largest markets are read every cycle. */
  topCount: number;
  /** Every other watched market is read at least once in this many cycles (when the budget allows). */
  spreadCycles: number;
  /** Requests per cycle for the top and rotating tiers. */
  budget: number;
}

export interface OpenInterestPlan {
  /** Everything to read this cycle: unknown first, then top, then rotating. */
  symbols: string[];
  top: string[];
  rotating: string[];
  /** Cycles within which every watched market is read with this plan (1 when all are top). */
  refreshCycles: number;
  /** Requests of the top and rotating tiers (the budgeted part). */
  budgeted: number;
}

export function planOpenInterest(input: OpenInterestPlanInput): OpenInterestPlan {
  const budget = Math.max(1, Math.floor(input.budget));
  const spread = Math.max(1, Math.floor(input.spreadCycles));
  const bySize = [...input.watched].sort(
    (a, b) => (b.openInterestUsd ?? -1) - (a.openInterestUsd ?? -1) || a.symbol.localeCompare(b.symbol),
  );
  let topCount = Math.min(Math.max(0, Math.floor(input.topCount)), bySize.length);
  const restCount = () => bySize.length - topCount;
  let quota = Math.ceil(restCount() / spread);
  if (topCount + quota > budget) {
    // Not enough budget for the wanted freshness: keep at least one rotating read, shrink the top tier if needed.
    quota = restCount() > 0 ? Math.max(1, budget - topCount) : 0;
    topCount = Math.min(topCount, budget - quota);
    quota = Math.min(restCount(), Math.max(quota, budget - topCount));
  }
  const top = bySize.slice(0, topCount).map((m) => m.symbol);
  const rest = bySize.slice(topCount).map((m) => m.symbol);
  const stalest = [...rest].sort(
    (a, b) =>
      (input.lastReadCycle.get(a) ?? Number.NEGATIVE_INFINITY) -
        (input.lastReadCycle.get(b) ?? Number.NEGATIVE_INFINITY) || a.localeCompare(b),
  );
  const rotating = stalest.slice(0, quota);
  const seen = new Set<string>();
  const symbols: string[] = [];
  for (const symbol of [...input.unknown, ...top, ...rotating]) {
    if (seen.has(symbol)) continue;
    seen.add(symbol);
    symbols.push(symbol);
  }
  const refreshCycles = rest.length === 0 ? 1 : quota === 0 ? Number.POSITIVE_INFINITY : Math.ceil(rest.length / quota);
  return { symbols, top, rotating, refreshCycles, budgeted: top.length + rotating.length };
}

/** The fewest requests per cycle at this freshness: top every cycle, the rest once in `spreadCycles`. */
export function fewestOpenInterestRequests(watched: number, topCount: number, spreadCycles: number): number {
  const top = Math.min(topCount, watched);
  return top + Math.ceil((watched - top) / Math.max(1, spreadCycles));
}

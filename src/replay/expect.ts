// Judges a replay against what its scenario expects (the `expect` section, docs/scenario.md): a calm scenario
// passes when nothing reached warning at any pass; a spiral passes when each hit coin's market on each of its venues
// reached warning and critical by their deadlines and every quiet coin stayed below warning. Pure: it reads the
// passes' levels (what the bot knew at each pass, not only what it sent) and the scenario's model, nothing else.
import type { ExchangeId } from '../domain/market.js';
import type { ScenarioModel, VenueMarket } from '../mock-exchange/model.js';
import type { Scenario } from '../mock-exchange/scenario.js';
import type { RiskLevel } from '../risk/levels.js';

export const LEVEL_RANK: Record<RiskLevel, number> = { calm: 0, elevated: 1, warning: 2, critical: 3 };

/** The key of the market-wide reading in a pass, beside the market keys (`binanceusdm:BTC/USDT:USDT`). */
export const MARKET_WIDE_KEY = 'market-wide';

/** What the judge reads of a pass. */
export interface JudgedPass {
  offsetSec: number;
  levels: ReadonlyMap<string, RiskLevel>;
  marketWide: RiskLevel;
}

/** What the judge reads of a replay (a ReplayResult is one). */
export interface JudgeInput {
  scenario: Scenario;
  model: ScenarioModel;
  /** The venues replayed: a hit on another venue cannot be met. */
  venues: readonly ExchangeId[];
  passes: readonly JudgedPass[];
}

export type JudgedLevel = 'warning' | 'critical';
export type Split = 'tuning' | 'holdout';

export interface LevelTiming {
  /** First pass at this level or above, seconds from the start; null when never. */
  reachedSec: number | null;
  deadlineSec: number;
  /** deadline - reached: what was left to spare (negative: late); null when never reached. */
  leadToDeadlineSec: number | null;
  /** The market's largest liquidation minute - reached; null when never reached or it has no scripted liquidations. */
  leadToLargestSec: number | null;
  met: boolean;
}

/** One hit coin on one of its venues. */
export interface HitVerdict {
  base: string;
  venue: ExchangeId;
  /** The market key, or null when the venue lists no such market or was not replayed. */
  market: string | null;
  largestMinuteSec: number | null;
  largestMinuteUsd: number | null;
  warning: LevelTiming;
  critical: LevelTiming;
  pass: boolean;
}

/** One market of a quiet coin. */
export interface QuietVerdict {
  base: string;
  market: string;
  firstWarningSec: number | null;
  pass: boolean;
}

export interface ScenarioVerdict {
  scenario: string;
  outcome: 'calm' | 'spiral';
  split: Split;
  /** calm: what a naive rule would mistake for a spiral; null for a spiral. */
  trap: string | null;
  pass: boolean;
  /** Why it missed, one line per failed check, in time order of the checks' deadlines where they have one. */
  misses: string[];
  hits: HitVerdict[];
  quiet: QuietVerdict[];
  /** calm: each market (or the market-wide reading) that reached warning, with its first pass there. */
  raised: { market: string; offsetSec: number }[];
}

/** `4m`, `3h12m`, `1h05m30s`, `45s`: exact to the second, as a span (no sign). */
export function spanText(seconds: number): string {
  const total = Math.round(Math.abs(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const head = hours > 0 ? `${hours}h${pad(minutes)}m` : minutes > 0 || rest === 0 ? `${minutes}m` : '';
  if (rest === 0) return head;
  return head === '' ? `${rest}s` : `${head}${pad(rest)}s`;
}

/** `+3h12m` from the start (or `-5m` before it). */
export function atText(offsetSec: number): string {
  return `${offsetSec < 0 ? '-' : '+'}${spanText(offsetSec)}`;
}

/** Each market's largest scripted liquidation minute (seconds from the start) and its USD, per venue. */
export function largestLiquidationMinutes(
  model: ScenarioModel,
  venues: readonly ExchangeId[],
): Map<string, { minuteSec: number; usd: number }> {
  const largest = new Map<string, { minuteSec: number; usd: number }>();
  for (const venue of venues) {
    const perMinute = new Map<string, number>();
    for (const event of model.venues.get(venue)?.liquidations ?? []) {
      const minuteSec = Math.floor((event.at - model.startMs) / 60_000) * 60;
      const key = `${venue}:${event.market.symbol}|${minuteSec}`;
      perMinute.set(key, (perMinute.get(key) ?? 0) + event.sizeUsd);
    }
    for (const [key, usd] of perMinute) {
      const [market = '', minute = ''] = key.split('|');
      if ((largest.get(market)?.usd ?? 0) < usd) largest.set(market, { minuteSec: Number(minute), usd });
    }
  }
  return largest;
}

/** The scenario's largest liquidation minute across all markets (summed over markets and venues). */
export function largestLiquidationMinute(
  model: ScenarioModel,
  venues: readonly ExchangeId[],
): { minuteSec: number; usd: number } | null {
  const perMinute = new Map<number, number>();
  for (const venue of venues) {
    for (const event of model.venues.get(venue)?.liquidations ?? []) {
      const minuteSec = Math.floor((event.at - model.startMs) / 60_000) * 60;
      perMinute.set(minuteSec, (perMinute.get(minuteSec) ?? 0) + event.sizeUsd);
    }
  }
  let best: { minuteSec: number; usd: number } | null = null;
  for (const [minuteSec, usd] of perMinute) if (best === null || usd > best.usd) best = { minuteSec, usd };
  return best;
}

/** A coin's linear perpetual on a venue: settled in USDC on Hyperliquid, USDT elsewhere unless only USDC is listed. */
export function coinMarket(model: ScenarioModel, venue: ExchangeId, base: string): VenueMarket | null {
  const listed = (model.venues.get(venue)?.markets ?? []).filter((m) => m.linear && m.base === base);
  const settle = venue === 'hyperliquid' ? 'USDC' : 'USDT';
  return listed.find((m) => m.settle === settle) ?? listed[0] ?? null;
}

function marketKey(venue: ExchangeId, market: VenueMarket): string {
  return `${venue}:${market.symbol}`;
}

/** The first pass at which `market` (a key, or MARKET_WIDE_KEY) was at `level` or above. */
export function firstPassAt(passes: readonly JudgedPass[], market: string, level: RiskLevel): number | null {
  const rank = LEVEL_RANK[level];
  for (const pass of passes) {
    const at = market === MARKET_WIDE_KEY ? pass.marketWide : (pass.levels.get(market) ?? 'calm');
    if (LEVEL_RANK[at] >= rank) return pass.offsetSec;
  }
  return null;
}

function timing(reachedSec: number | null, deadlineSec: number, largestMinuteSec: number | null): LevelTiming {
  return {
    reachedSec,
    deadlineSec,
    leadToDeadlineSec: reachedSec === null ? null : deadlineSec - reachedSec,
    leadToLargestSec: reachedSec === null || largestMinuteSec === null ? null : largestMinuteSec - reachedSec,
    met: reachedSec !== null && reachedSec <= deadlineSec,
  };
}

function timingMiss(market: string, level: JudgedLevel, t: LevelTiming): string | null {
  if (t.met) return null;
  if (t.reachedSec === null) return `${market} never reached ${level} (deadline ${atText(t.deadlineSec)})`;
  return (
    `${market} reached ${level} at ${atText(t.reachedSec)}, ${spanText(t.reachedSec - t.deadlineSec)} after its ` +
    `deadline ${atText(t.deadlineSec)}`
  );
}

function judgeCalm(input: JudgeInput): Pick<ScenarioVerdict, 'raised' | 'misses'> {
  const keys = new Set<string>([MARKET_WIDE_KEY]);
  for (const pass of input.passes) for (const key of pass.levels.keys()) keys.add(key);
  const raised = [...keys]
    .map((market) => ({ market, offsetSec: firstPassAt(input.passes, market, 'warning') }))
    .filter((r): r is { market: string; offsetSec: number } => r.offsetSec !== null)
    .sort((a, b) => a.offsetSec - b.offsetSec || a.market.localeCompare(b.market));
  const misses = raised.map((r) => `${r.market} reached warning at ${atText(r.offsetSec)} on a calm scenario`);
  return { raised, misses };
}

/** The verdict on a replay, or null when its scenario has no expect section (replayed, not judged). */
export function judgeReplay(input: JudgeInput): ScenarioVerdict | null {
  const expect = input.scenario.expect;
  if (expect === undefined) return null;
  const common = { scenario: input.scenario.name, outcome: expect.outcome, split: expect.split };
  if (expect.outcome === 'calm') {
    const { raised, misses } = judgeCalm(input);
    return { ...common, trap: expect.trap, pass: misses.length === 0, misses, hits: [], quiet: [], raised };
  }
  const largest = largestLiquidationMinutes(input.model, input.venues);
  const hits: HitVerdict[] = [];
  const misses: { deadlineSec: number; text: string }[] = [];
  for (const hit of expect.hits) {
    for (const venue of hit.venues) {
      const found = input.venues.includes(venue) ? coinMarket(input.model, venue, hit.base) : null;
      const market = found === null ? null : marketKey(venue, found);
      const figure = market === null ? undefined : largest.get(market);
      const largestMinuteSec = figure?.minuteSec ?? null;
      const reached = (level: JudgedLevel) => (market === null ? null : firstPassAt(input.passes, market, level));
      const warning = timing(reached('warning'), hit.warningBySec, largestMinuteSec);
      const critical = timing(reached('critical'), hit.criticalBySec, largestMinuteSec);
      hits.push({
        base: hit.base,
        venue,
        market,
        largestMinuteSec,
        largestMinuteUsd: figure === undefined ? null : Math.round(figure.usd),
        warning,
        critical,
        pass: warning.met && critical.met,
      });
      if (market === null) {
        const why = input.venues.includes(venue)
          ? `${venue} lists no ${hit.base} perpetual`
          : `${venue} was not replayed`;
        misses.push({ deadlineSec: hit.warningBySec, text: `${venue}:${hit.base}: ${why}` });
        continue;
      }
      const warningMiss = timingMiss(market, 'warning', warning);
      if (warningMiss !== null) misses.push({ deadlineSec: hit.warningBySec, text: warningMiss });
      const criticalMiss = timingMiss(market, 'critical', critical);
      if (criticalMiss !== null) misses.push({ deadlineSec: hit.criticalBySec, text: criticalMiss });
    }
  }
  const quiet: QuietVerdict[] = [];
  for (const base of expect.quiet) {
    for (const venue of input.venues) {
      for (const m of input.model.venues.get(venue)?.markets ?? []) {
        if (!m.linear || m.base !== base) continue;
        const market = marketKey(venue, m);
        const firstWarningSec = firstPassAt(input.passes, market, 'warning');
        quiet.push({ base, market, firstWarningSec, pass: firstWarningSec === null });
        if (firstWarningSec !== null) {
          misses.push({
            deadlineSec: firstWarningSec,
            text: `${market} should stay below warning (${base} is quiet) but reached warning at ${atText(firstWarningSec)}`,
          });
        }
      }
    }
  }
  // Stable: checks with the same deadline keep the order the scenario lists them in.
  const ordered = misses.sort((a, b) => a.deadlineSec - b.deadlineSec).map((m) => m.text);
  return { ...common, trap: null, pass: ordered.length === 0, misses: ordered, hits, quiet, raised: [] };
}

/** How early one level came over a set of hit markets. */
export interface LeadDistribution {
  /** Hit markets expected to reach the level, and those that reached it by their deadline. */
  expected: number;
  hit: number;
  /** Lead against each market's own largest liquidation minute, over the markets that reached the level and have one. */
  measured: number;
  minSec: number | null;
  medianSec: number | null;
  maxSec: number | null;
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

export function leadDistribution(hits: readonly HitVerdict[], level: JudgedLevel): LeadDistribution {
  const leads = hits
    .map((h) => h[level].leadToLargestSec)
    .filter((lead): lead is number => lead !== null)
    .sort((a, b) => a - b);
  return {
    expected: hits.length,
    hit: hits.filter((h) => h[level].met).length,
    measured: leads.length,
    minSec: leads[0] ?? null,
    medianSec: median(leads),
    maxSec: leads[leads.length - 1] ?? null,
  };
}

// Text for replays and backtests: the alert timeline, one line per alert, the backtest figures of a replay with its
// verdict (src/replay/expect.ts), and the backtest report: a table per split, the markets of each hit, the misses.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExchangeId } from '../domain/market.js';
import type { Scenario } from '../mock-exchange/scenario.js';
import type { RiskLevel } from '../risk/levels.js';
import {
  atText,
  coinMarket,
  largestLiquidationMinutes,
  leadDistribution,
  LEVEL_RANK,
  spanText,
  judgeReplay,
  type HitVerdict,
  type LeadDistribution,
  type Split,
} from './expect.js';
import type { ReplayResult, TimelineAlert } from './replay.js';

/** The bundled scenarios directory (`scenarios/` at the repository root). */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** Bundled scenario names (file names without `.json`). */
export function bundledScenarios(): string[] {
  if (!existsSync(SCENARIOS_DIR)) return [];
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A path to a scenario file, or a bundled name (`crash` is scenarios/crash.json); null when neither exists. */
export function resolveScenario(argument: string): string | null {
  if (existsSync(argument) && argument.endsWith('.json')) return argument;
  if (/^[\w.-]+$/.test(argument)) {
    const bundled = `${SCENARIOS_DIR}${argument.replace(/\.json$/, '')}.json`;
    if (existsSync(bundled)) return bundled;
  }
  return existsSync(argument) ? argument : null;
}

/** `HH:MM` UTC of an epoch ms, with the date when `withDate`. */
export function clockTime(at: number, withDate = false): string {
  const iso = new Date(at).toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** `+1h05m`, `+12m`, `-3m` from seconds. */
export function offsetText(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(seconds) / 60);
  if (minutes < 60) return `${sign}${minutes}m`;
  return `${sign}${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** One line of the timeline: time, offset, level, market, regime, score and the top reasons. */
export function timelineLine(alert: TimelineAlert): string {
  const level = alert.level.toUpperCase().padEnd(8);
  const covers = alert.kind === 'digest' ? ` (${alert.markets.length} markets)` : '';
  const score = alert.score === null ? '' : ` score ${alert.score}`;
  const regime = alert.regime === null ? '' : ` ${alert.regime}`;
  const reasons = alert.reasons.length > 0 ? `: ${alert.reasons.join('; ')}` : '';
  return `${clockTime(alert.at)} ${offsetText(alert.offsetSec).padStart(7)} ${level} ${alert.kind.padEnd(10)} ${alert.market}${covers}${regime}${score}${reasons}`;
}

/** The timeline as deterministic text (no wall-clock figures): what the golden file holds. */
export function timelineText(result: ReplayResult): string {
  const lines = [
    `replay ${result.scenario.name}: ${clockTime(Date.parse(result.scenario.start), true)} UTC, ` +
      `${offsetText(result.simulatedSec).slice(1)} in ${result.passes.length} passes on ${result.venues.join(', ')}`,
  ];
  if (result.alerts.length === 0) lines.push('no alerts');
  for (const alert of result.alerts) lines.push(timelineLine(alert));
  return lines.join('\n');
}

/** Simulated minutes per real second. */
export function simulatedMinutesPerSecond(result: ReplayResult): number {
  return result.simulatedSec / 60 / Math.max(result.wallMs / 1000, 0.001);
}

export interface BacktestFigures {
  scenario: string;
  /** calm: any warning is a false alarm; crash: the warnings should come before the largest liquidation minute. */
  kind: 'calm' | 'crash';
  /** From the expect section; null when the scenario has none (replayed, not judged). */
  split: Split | null;
  verdict: 'pass' | 'miss' | null;
  /** Why it missed, one line per failed check. */
  misses: string[];
  /** calm: what a naive rule would mistake for a spiral. */
  trap: string | null;
  start: string;
  replayedSec: number;
  stepSec: number;
  passes: number;
  /** The largest liquidation minute of any market (model), seconds from the start, and its USD. */
  largestMinuteSec: number | null;
  largestMinuteUsd: number | null;
  largestMarket: string | null;
  firstWarningSec: number | null;
  firstWarningMarket: string | null;
  firstCriticalSec: number | null;
  firstCriticalMarket: string | null;
  /** largestMinuteSec - first; positive = warned ahead. */
  warningLeadSec: number | null;
  criticalLeadSec: number | null;
  /** Markets warned before their own largest liquidation minute, of the markets with liquidations. */
  marketsWarnedEarly: number;
  marketsWithLiquidations: number;
  /** A judged spiral: each hit coin on each of its venues, and the leads over them per level. */
  hits: HitVerdict[];
  warning: LeadDistribution | null;
  critical: LeadDistribution | null;
  alertsSent: number;
  alertsPerDay: number;
  /** Alerts at warning or above. */
  warnings: number;
  /** Alerts at warning or above where none was due: any on a calm scenario, those on a quiet coin in a spiral. */
  falseAlarms: number | null;
  wallMs: number;
  /** Passes whose streams had not delivered everything within the settle limit (0 for a deterministic replay). */
  unsettledSteps: number;
}

function firstAt(result: ReplayResult, level: RiskLevel): { offsetSec: number; market: string } | null {
  for (const pass of result.passes) {
    const raised = [...pass.levels].filter(([, l]) => LEVEL_RANK[l] >= LEVEL_RANK[level]).map(([m]) => m);
    if (LEVEL_RANK[pass.marketWide] >= LEVEL_RANK[level]) raised.push('market-wide');
    const [market] = raised.sort();
    if (market !== undefined) return { offsetSec: pass.offsetSec, market };
  }
  return null;
}

/** calm or crash: from the expect section when there is one, else from the name (calm.json, calm-day-1.json). */
export function scenarioKind(scenario: Pick<Scenario, 'name' | 'expect'>): 'calm' | 'crash' {
  if (scenario.expect !== undefined) return scenario.expect.outcome === 'calm' ? 'calm' : 'crash';
  return /calm/i.test(scenario.name) ? 'calm' : 'crash';
}

/** Market keys of a spiral's quiet coins on the venues replayed. */
function quietMarkets(result: ReplayResult): Set<string> {
  const expect = result.scenario.expect;
  const keys = new Set<string>();
  if (expect?.outcome !== 'spiral') return keys;
  for (const base of expect.quiet) {
    for (const venue of result.venues) {
      const market = coinMarket(result.model, venue, base);
      if (market !== null) keys.add(`${venue}:${market.symbol}`);
    }
  }
  return keys;
}

export function backtestFigures(result: ReplayResult): BacktestFigures {
  const venues: readonly ExchangeId[] = result.venues;
  const perMarket = largestLiquidationMinutes(result.model, venues);
  let largest: { market: string; minuteSec: number; usd: number } | null = null;
  for (const [market, figure] of perMarket) {
    if (largest === null || figure.usd > largest.usd) largest = { market, ...figure };
  }
  const warning = firstAt(result, 'warning');
  const critical = firstAt(result, 'critical');
  const marketsWarnedEarly = [...perMarket].filter(([market, { minuteSec }]) => {
    const first = result.passes.find((p) => LEVEL_RANK[p.levels.get(market) ?? 'calm'] >= LEVEL_RANK.warning);
    return first !== undefined && first.offsetSec < minuteSec;
  }).length;
  const raisedAlerts = result.alerts.filter((a) => LEVEL_RANK[a.level] >= LEVEL_RANK.warning);
  const kind = scenarioKind(result.scenario);
  const verdict = judgeReplay(result);
  const quiet = quietMarkets(result);
  const falseAlarms =
    kind === 'calm'
      ? raisedAlerts.length
      : verdict !== null
        ? raisedAlerts.filter((a) => a.markets.some((m) => quiet.has(m.market))).length
        : null;
  const spiral = verdict !== null && verdict.outcome === 'spiral';
  return {
    scenario: result.scenario.name,
    kind,
    split: verdict?.split ?? null,
    verdict: verdict === null ? null : verdict.pass ? 'pass' : 'miss',
    misses: verdict?.misses ?? [],
    trap: verdict?.trap ?? null,
    start: result.scenario.start,
    replayedSec: result.simulatedSec,
    stepSec: result.stepSec,
    passes: result.passes.length,
    largestMinuteSec: largest?.minuteSec ?? null,
    largestMinuteUsd: largest === null ? null : Math.round(largest.usd),
    largestMarket: largest?.market ?? null,
    firstWarningSec: warning?.offsetSec ?? null,
    firstWarningMarket: warning?.market ?? null,
    firstCriticalSec: critical?.offsetSec ?? null,
    firstCriticalMarket: critical?.market ?? null,
    warningLeadSec: largest !== null && warning !== null ? largest.minuteSec - warning.offsetSec : null,
    criticalLeadSec: largest !== null && critical !== null ? largest.minuteSec - critical.offsetSec : null,
    marketsWarnedEarly,
    marketsWithLiquidations: perMarket.size,
    hits: verdict?.hits ?? [],
    warning: spiral ? leadDistribution(verdict.hits, 'warning') : null,
    critical: spiral ? leadDistribution(verdict.hits, 'critical') : null,
    alertsSent: result.alerts.length,
    alertsPerDay: alertsPerDay(result.alerts.length, result.simulatedSec),
    warnings: raisedAlerts.length,
    falseAlarms,
    wallMs: Math.round(result.wallMs),
    unsettledSteps: result.unsettledSteps,
  };
}

function alertsPerDay(alerts: number, seconds: number): number {
  return seconds > 0 ? Math.round((alerts / (seconds / 86_400)) * 10) / 10 : 0;
}

function usdShort(usd: number): string {
  if (usd >= 1e9) return `$${(usd / 1e9).toFixed(1)}B`;
  if (usd >= 1e6) return `$${(usd / 1e6).toFixed(1)}M`;
  if (usd >= 1e3) return `$${(usd / 1e3).toFixed(0)}k`;
  return `$${usd.toFixed(0)}`;
}

function at(figures: BacktestFigures, offsetSec: number | null): string {
  if (offsetSec === null) return 'none';
  // Exact offsets: at a 30 s step a pass may sit on the half minute, which a rounded offset would misplace.
  return `${clockTime(Date.parse(figures.start) + offsetSec * 1000)} (${atText(offsetSec)})`;
}

function lead(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds === 0) return 'same minute';
  return seconds > 0 ? `${offsetText(seconds).slice(1)} ahead` : `${offsetText(-seconds).slice(1)} late`;
}

/** A signed span: `12m`, `-3m` (after the liquidation minute). */
function signedSpan(seconds: number | null): string {
  if (seconds === null) return '-';
  return `${seconds < 0 ? '-' : ''}${spanText(seconds)}`;
}

/** `min / median / max` of a distribution's leads. */
function leadsText(d: LeadDistribution): string {
  return [d.minSec, d.medianSec, d.maxSec].map(signedSpan).join(' / ');
}

function distributionText(d: LeadDistribution | null): { hit: string; lead: string } {
  if (d === null) return { hit: '-', lead: '-' };
  const lead = d.measured === 0 ? '-' : leadsText(d);
  return { hit: `${d.hit} of ${d.expected}`, lead };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const cells of rows) lines.push(`| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

function replayedText(f: BacktestFigures): string {
  return `${offsetText(f.replayedSec).slice(1)} from ${clockTime(Date.parse(f.start), true)} UTC`;
}

function largestText(f: BacktestFigures): string {
  if (f.kind === 'calm') return '-';
  if (f.largestMinuteSec === null) return 'none';
  return `${at(f, f.largestMinuteSec)}, ${usdShort(f.largestMinuteUsd ?? 0)} on ${f.largestMarket ?? '?'}`;
}

/** Scenarios without an expect section, as the backtest showed them before scenarios stated what they expect. */
export function backtestTable(rows: readonly BacktestFigures[], withWallTime = true): string {
  const header = [
    'scenario',
    'kind',
    'replayed',
    'largest liquidation minute',
    'first warning',
    'lead',
    'first critical',
    'lead',
    'markets warned early',
    'alerts sent',
    'false alarms',
    ...(withWallTime ? ['replay time'] : []),
  ];
  return table(
    header,
    rows.map((f) => [
      f.scenario,
      f.kind,
      replayedText(f),
      largestText(f),
      at(f, f.firstWarningSec),
      f.kind === 'calm' ? '-' : lead(f.warningLeadSec),
      at(f, f.firstCriticalSec),
      f.kind === 'calm' ? '-' : lead(f.criticalLeadSec),
      f.kind === 'calm' ? '-' : `${f.marketsWarnedEarly} of ${f.marketsWithLiquidations}`,
      String(f.alertsSent),
      f.falseAlarms === null ? '-' : String(f.falseAlarms),
      ...(withWallTime ? [`${(f.wallMs / 1000).toFixed(1)} s`] : []),
    ]),
  );
}

/** Judged scenarios of one split: the verdict, and per level the markets in time and how early they came. */
export function judgedTable(rows: readonly BacktestFigures[], withWallTime = true): string {
  const header = [
    'scenario',
    'kind',
    'verdict',
    'replayed',
    'largest liquidation minute',
    'first warning',
    'first critical',
    'warning by deadline',
    'warning lead min / median / max',
    'critical by deadline',
    'critical lead min / median / max',
    'alerts sent',
    'alerts per day',
    'false alarms',
    ...(withWallTime ? ['replay time'] : []),
  ];
  return table(
    header,
    rows.map((f) => {
      const warning = distributionText(f.warning);
      const critical = distributionText(f.critical);
      return [
        f.scenario,
        f.kind,
        f.verdict ?? '-',
        replayedText(f),
        largestText(f),
        at(f, f.firstWarningSec),
        at(f, f.firstCriticalSec),
        warning.hit,
        warning.lead,
        critical.hit,
        critical.lead,
        String(f.alertsSent),
        String(f.alertsPerDay),
        f.falseAlarms === null ? '-' : String(f.falseAlarms),
        ...(withWallTime ? [`${(f.wallMs / 1000).toFixed(1)} s`] : []),
      ];
    }),
  );
}

/** Each hit coin on each of its venues: when it reached each level, its deadline, and how early. */
export function hitsTable(rows: readonly BacktestFigures[]): string {
  const header = [
    'scenario',
    'market',
    'largest liquidation minute',
    'warning at',
    'deadline',
    'to spare',
    'lead',
    'critical at',
    'deadline',
    'to spare',
    'lead',
    'verdict',
  ];
  const cells: string[][] = [];
  for (const f of rows) {
    for (const h of f.hits) {
      const reached = (offsetSec: number | null) => (offsetSec === null ? 'never' : atText(offsetSec));
      cells.push([
        f.scenario,
        h.market ?? `${h.venue}:${h.base} (not replayed)`,
        h.largestMinuteSec === null ? 'none' : `${atText(h.largestMinuteSec)}, ${usdShort(h.largestMinuteUsd ?? 0)}`,
        reached(h.warning.reachedSec),
        atText(h.warning.deadlineSec),
        signedSpan(h.warning.leadToDeadlineSec),
        signedSpan(h.warning.leadToLargestSec),
        reached(h.critical.reachedSec),
        atText(h.critical.deadlineSec),
        signedSpan(h.critical.leadToDeadlineSec),
        signedSpan(h.critical.leadToLargestSec),
        h.pass ? 'pass' : 'miss',
      ]);
    }
  }
  return table(header, cells);
}

/** One line over a split: scenarios passed, markets in time per level with their leads, false alarms, alerts a day. */
export function splitSummary(split: Split, rows: readonly BacktestFigures[]): string {
  const hits = rows.flatMap((f) => f.hits);
  const passed = rows.filter((f) => f.verdict === 'pass').length;
  const level = (name: 'warning' | 'critical') => {
    const d = leadDistribution(hits, name);
    const leads = d.measured === 0 ? '' : `, lead ${leadsText(d)}`;
    return `${name} by its deadline on ${d.hit} of ${d.expected} markets${leads}`;
  };
  const falseAlarms = rows.reduce((sum, f) => sum + (f.falseAlarms ?? 0), 0);
  const seconds = rows.reduce((sum, f) => sum + f.replayedSec, 0);
  const alerts = rows.reduce((sum, f) => sum + f.alertsSent, 0);
  const levels = hits.length === 0 ? '' : ` ${level('warning')}; ${level('critical')};`;
  return (
    `${split}: ${passed} of ${rows.length} scenarios pass;${levels} ` +
    `${falseAlarms} false alarm${falseAlarms === 1 ? '' : 's'}; ${alertsPerDay(alerts, seconds)} alerts per day`
  );
}

export const BACKTEST_NOTES =
  'Verdict: calm passes when no market and not the market-wide reading reached warning at any pass; a spiral passes ' +
  'when each hit coin reached warning and critical on each of its venues by the deadlines of its expect section and ' +
  'every quiet coin stayed below warning. "By deadline" = hit markets at the level by their deadline, of those ' +
  "expected; lead = the market's own largest liquidation minute (from the scenario) minus its first pass at the level " +
  '(negative: after it), over the hit markets with scripted liquidations; "to spare" = deadline minus first pass. ' +
  'False alarms = alerts at warning or above on a calm scenario, or on a quiet coin of a spiral. In the table of ' +
  'scenarios without an expect section, lead = the largest liquidation minute of any market minus the first pass at ' +
  'that level, and "markets warned early" = markets at warning before their own largest liquidation minute.';

/** The whole backtest as text: a table per split (tuning, holdout, not judged), the hit markets, the misses. */
export function backtestReport(rows: readonly BacktestFigures[], options: { withWallTime?: boolean } = {}): string {
  const withWallTime = options.withWallTime ?? true;
  const out: string[] = [];
  const stepSec = rows[0]?.stepSec;
  if (stepSec !== undefined) {
    const steps = new Set(rows.map((f) => f.stepSec));
    out.push(`One pass every ${steps.size === 1 ? `${stepSec} s` : [...steps].join(' / ') + ' s'} of scenario time.`);
  }
  for (const split of ['tuning', 'holdout'] as const) {
    const judged = rows.filter((f) => f.split === split);
    if (judged.length === 0) continue;
    out.push('', `## ${split === 'tuning' ? 'Tuning' : 'Holdout'} scenarios`, '', judgedTable(judged, withWallTime));
    out.push('', splitSummary(split, judged));
    if (judged.some((f) => f.hits.length > 0)) out.push('', hitsTable(judged.filter((f) => f.hits.length > 0)));
  }
  const unjudged = rows.filter((f) => f.split === null);
  if (unjudged.length > 0) {
    out.push('', '## Not judged (no expect section)', '', backtestTable(unjudged, withWallTime));
  }
  const missed = rows.filter((f) => f.verdict === 'miss');
  if (missed.length > 0) {
    out.push('', '## Misses', '');
    for (const f of missed) for (const miss of f.misses) out.push(`- ${f.scenario}: ${miss}`);
  }
  const traps = rows.filter((f) => f.trap !== null);
  if (traps.length > 0) {
    out.push('', '## Traps of the calm scenarios', '');
    for (const f of traps) out.push(`- ${f.scenario}: ${f.trap ?? ''}`);
  }
  out.push('', BACKTEST_NOTES);
  return out.join('\n');
}

// Text for replays and backtests: the alert timeline, one line per alert, and the backtest figures of a replay.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExchangeId } from '../domain/market.js';
import type { RiskLevel } from '../risk/levels.js';
import { largestLiquidationMinutes, LEVEL_RANK, type ReplayResult, type TimelineAlert } from './replay.js';

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
  start: string;
  replayedSec: number;
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
  alertsSent: number;
  /** Alerts at warning or above: false alarms on a calm scenario. */
  warnings: number;
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

/** A scenario counts as calm when its name says so (calm.json, calm-day-1.json). */
export function scenarioKind(name: string): 'calm' | 'crash' {
  return /calm/i.test(name) ? 'calm' : 'crash';
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
  const warnings = result.alerts.filter((a) => LEVEL_RANK[a.level] >= LEVEL_RANK.warning).length;
  const kind = scenarioKind(result.scenario.name);
  return {
    scenario: result.scenario.name,
    kind,
    start: result.scenario.start,
    replayedSec: result.simulatedSec,
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
    alertsSent: result.alerts.length,
    warnings,
    falseAlarms: kind === 'calm' ? warnings : null,
    wallMs: Math.round(result.wallMs),
    unsettledSteps: result.unsettledSteps,
  };
}

function usdShort(usd: number): string {
  if (usd >= 1e9) return `$${(usd / 1e9).toFixed(1)}B`;
  if (usd >= 1e6) return `$${(usd / 1e6).toFixed(1)}M`;
  if (usd >= 1e3) return `$${(usd / 1e3).toFixed(0)}k`;
  return `$${usd.toFixed(0)}`;
}

function at(figures: BacktestFigures, offsetSec: number | null): string {
  if (offsetSec === null) return 'none';
  return `${clockTime(Date.parse(figures.start) + offsetSec * 1000)} (${offsetText(offsetSec)})`;
}

function lead(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds === 0) return 'same minute';
  return seconds > 0 ? `${offsetText(seconds).slice(1)} ahead` : `${offsetText(-seconds).slice(1)} late`;
}

/** The backtest as a Markdown table, one row per scenario. */
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
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const f of rows) {
    const largestText =
      f.largestMinuteSec === null
        ? 'none'
        : `${at(f, f.largestMinuteSec)}, ${usdShort(f.largestMinuteUsd ?? 0)} on ${f.largestMarket ?? '?'}`;
    const cells = [
      f.scenario,
      f.kind,
      `${offsetText(f.replayedSec).slice(1)} from ${clockTime(Date.parse(f.start), true)} UTC`,
      f.kind === 'calm' ? '-' : largestText,
      at(f, f.firstWarningSec),
      f.kind === 'calm' ? '-' : lead(f.warningLeadSec),
      at(f, f.firstCriticalSec),
      f.kind === 'calm' ? '-' : lead(f.criticalLeadSec),
      f.kind === 'calm' ? '-' : `${f.marketsWarnedEarly} of ${f.marketsWithLiquidations}`,
      String(f.alertsSent),
      f.falseAlarms === null ? '-' : String(f.falseAlarms),
      ...(withWallTime ? [`${(f.wallMs / 1000).toFixed(1)} s`] : []),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

// `replay <scenario> [--json] [--speed X] [--step S]` and `backtest <scenario...> [--json]`: a scenario through the
// whole pipeline on the mock exchange (see src/replay). `words` are the arguments after the command name; a
// scenario is a path to a JSON file or a bundled name (`crash` is scenarios/crash.json).
// Exit codes: 0 done, 1 the user's mistake (unknown scenario, bad option), 2 the replay could not run.
import { buildModel } from '../mock-exchange/model.js';
import { loadScenario } from '../mock-exchange/scenario.js';
import {
  backtestFigures,
  backtestTable,
  bundledScenarios,
  clockTime,
  offsetText,
  resolveScenario,
  simulatedMinutesPerSecond,
  timelineLine,
  type BacktestFigures,
} from '../replay/format.js';
import { progressLine } from '../replay/progress.js';
import { largestLiquidationMinute, replayScenario, type ReplayOptions } from '../replay/replay.js';

type Write = (text: string) => void;

/** Scenarios longer than this replay their lead-in at a coarser step. */
const LONG_SCENARIO_SEC = 4 * 3600;
const LEAD_IN_STEP_SEC = 300;
/** The last part of a long scenario (before its largest liquidation minute) replayed minute by minute. */
const FINE_WINDOW_SEC = 2 * 3600;

interface Parsed {
  positional: string[];
  json: boolean;
  speed: number | undefined;
  stepSec: number | undefined;
  leadInStepSec: number | undefined;
  error: string | null;
}

function parseArguments(words: readonly string[], valued: readonly string[]): Parsed {
  const parsed: Parsed = {
    positional: [],
    json: false,
    speed: undefined,
    stepSec: undefined,
    leadInStepSec: undefined,
    error: null,
  };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    if (word === '--json') {
      parsed.json = true;
      continue;
    }
    if (word.startsWith('--')) {
      const [flag = '', inline] = word.split('=', 2);
      if (!valued.includes(flag)) {
        parsed.error = `unknown option ${flag}`;
        return parsed;
      }
      const text = inline ?? words[++i];
      const value = Number(text);
      if (text === undefined || !Number.isFinite(value) || value <= 0) {
        parsed.error = `${flag} needs a positive number`;
        return parsed;
      }
      if (flag === '--speed') parsed.speed = value;
      if (flag === '--step') parsed.stepSec = Math.round(value);
      if (flag === '--lead-in-step') parsed.leadInStepSec = Math.round(value);
      continue;
    }
    parsed.positional.push(word);
  }
  return parsed;
}

function unknownScenario(name: string): string {
  const bundled = bundledScenarios();
  return `no scenario "${name}": give a path to a scenario file or one of: ${bundled.join(', ') || '(none bundled)'}`;
}

/**
 * How a scenario is stepped: one-minute passes, and for long scenarios five-minute passes up to two hours before
 * the largest liquidation minute (calm ones: before their last two hours).
 */
export async function replayPlan(
  file: string,
  overrides: { stepSec?: number; leadInStepSec?: number } = {},
): Promise<Pick<ReplayOptions, 'stepSec' | 'leadInStepSec' | 'leadInSec'>> {
  const scenario = await loadScenario(file);
  const stepSec = overrides.stepSec ?? 60;
  if (scenario.durationSec <= LONG_SCENARIO_SEC && overrides.leadInStepSec === undefined) return { stepSec };
  const largest = largestLiquidationMinute(buildModel(scenario), ['binanceusdm', 'bybit', 'okx', 'hyperliquid']);
  const end = /calm/i.test(scenario.name) || largest === null ? scenario.durationSec : largest.minuteSec;
  const leadInStepSec = overrides.leadInStepSec ?? LEAD_IN_STEP_SEC;
  const leadInSec = Math.max(0, Math.floor((end - FINE_WINDOW_SEC) / leadInStepSec) * leadInStepSec);
  return { stepSec, leadInStepSec, leadInSec };
}

/** `replay <scenario> [--json] [--speed X] [--step S] [--lead-in-step S]`. */
export async function runReplayCommand(words: readonly string[], write: Write): Promise<number> {
  const args = parseArguments(words, ['--speed', '--step', '--lead-in-step']);
  if (args.error !== null) {
    write(`replay: ${args.error}. Usage: replay <scenario> [--json] [--speed X] [--step seconds]`);
    return 1;
  }
  const [name, ...extra] = args.positional;
  if (name === undefined || extra.length > 0) {
    write('Usage: replay <scenario> [--json] [--speed X] [--step seconds]   (scenario: a path or a bundled name)');
    return 1;
  }
  const file = resolveScenario(name);
  if (file === null) {
    write(unknownScenario(name));
    return 1;
  }
  const progress = progressLine();
  try {
    const plan = await replayPlan(file, {
      ...(args.stepSec !== undefined ? { stepSec: args.stepSec } : {}),
      ...(args.leadInStepSec !== undefined ? { leadInStepSec: args.leadInStepSec } : {}),
    });
    if (!args.json) write(`Replaying ${name} (${file}) on the mock exchange...`);
    const result = await replayScenario({
      file,
      ...plan,
      ...(args.speed !== undefined ? { speed: args.speed } : {}),
      onAlert: (alert) => {
        progress.clear();
        if (args.json) {
          const { reply: _reply, ...line } = alert;
          write(JSON.stringify({ type: 'alert', ...line }));
        } else write(timelineLine(alert));
      },
      onProgress: (p) => progress.update(name, p),
    });
    progress.clear();
    const figures = backtestFigures(result);
    const summary = {
      type: 'summary',
      scenario: result.scenario.name,
      start: result.scenario.start,
      simulatedSec: result.simulatedSec,
      passes: result.passes.length,
      alerts: result.alerts.length,
      firstWarningSec: figures.firstWarningSec,
      firstCriticalSec: figures.firstCriticalSec,
      largestLiquidationMinuteSec: figures.largestMinuteSec,
      wallMs: Math.round(result.wallMs),
      simulatedMinutesPerSecond: Math.round(simulatedMinutesPerSecond(result) * 10) / 10,
      unsettledSteps: result.unsettledSteps,
    };
    if (args.json) write(JSON.stringify(summary));
    else {
      const startMs = Date.parse(result.scenario.start);
      const when = (sec: number | null) =>
        sec === null ? 'none' : `${clockTime(startMs + sec * 1000)} (${offsetText(sec)})`;
      write(
        [
          `${result.alerts.length === 0 ? 'No alerts. ' : ''}${result.passes.length} passes over ${offsetText(result.simulatedSec).slice(1)} of scenario time, ` +
            `${result.alerts.length} alerts; first warning ${when(figures.firstWarningSec)}, first critical ${when(figures.firstCriticalSec)}.`,
          `Replayed in ${(result.wallMs / 1000).toFixed(1)} s (${summary.simulatedMinutesPerSecond} simulated minutes per second).`,
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    progress.clear();
    write(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

/** Replays each scenario and returns its backtest figures (used by the command and docs/backtest.md). */
export async function backtestScenarios(
  names: readonly string[],
  onProgress?: (name: string, progress: Parameters<NonNullable<ReplayOptions['onProgress']>>[0]) => void,
): Promise<BacktestFigures[]> {
  const rows: BacktestFigures[] = [];
  for (const name of names) {
    const file = resolveScenario(name);
    if (file === null) throw new Error(unknownScenario(name));
    const plan = await replayPlan(file);
    const result = await replayScenario({
      file,
      ...plan,
      ...(onProgress ? { onProgress: (p: Parameters<typeof onProgress>[1]) => onProgress(name, p) } : {}),
    });
    rows.push(backtestFigures(result));
  }
  return rows;
}

/**
 * `backtest <scenario...> [--json] [--markdown]`: a table of lead times and false alarms, one row per scenario
 * (`--markdown`: a whole document, as docs/backtest.md).
 */
export async function runBacktestCommand(words: readonly string[], write: Write): Promise<number> {
  const markdown = words.includes('--markdown');
  const args = parseArguments(
    words.filter((w) => w !== '--markdown'),
    [],
  );
  if (args.error !== null || args.positional.length === 0) {
    write(
      `${args.error !== null ? `backtest: ${args.error}. ` : ''}Usage: backtest <scenario...> [--json] [--markdown]`,
    );
    return 1;
  }
  const missing = args.positional.find((name) => resolveScenario(name) === null);
  if (missing !== undefined) {
    write(unknownScenario(missing));
    return 1;
  }
  const progress = progressLine();
  try {
    const rows = await backtestScenarios(args.positional, (name, p) => progress.update(name, p));
    progress.clear();
    if (args.json) for (const row of rows) write(JSON.stringify(row));
    else {
      if (markdown) {
        write('# Backtest on the bundled scenarios');
        write('');
        write(
          `Produced by \`npm run -s cli -- backtest ${args.positional.join(' ')} --markdown\`: each scenario replayed ` +
            'through the whole pipeline (mock exchange, ccxt clients with liquidation streams, SQLite store, risk loop, ' +
            'alert rules) on a simulated clock, one pass per simulated minute (five minutes in the lead-in of scenarios ' +
            'longer than four hours). The scenarios are synthetic: shaped after published figures, not replayed ticks ' +
            '(see scenarios/README.md). Replay time is wall time on the machine that produced this file.',
        );
        write('');
      }
      write(backtestTable(rows));
      write('');
      write(
        'Lead = the largest liquidation minute of any market (from the scenario) minus the first pass at that level; ' +
          '"markets warned early" = markets at warning before their own largest liquidation minute; ' +
          'false alarms = alerts at warning or above on a calm scenario.',
      );
    }
    return 0;
  } catch (error) {
    progress.clear();
    write(`backtest failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

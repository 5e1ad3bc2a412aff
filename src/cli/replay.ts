// `replay <scenario> [--json] [--speed X] [--step S] [--params file]` and
// `backtest [<scenario...> | --all] [--json | --markdown] [--step S] [--params file]`: a scenario through the whole
// pipeline on the mock exchange (see src/replay), judged against its expect section (src/replay/expect.ts).
// `words` are the arguments after the command name; a scenario is a path to a JSON file or a bundled name (`crash`
// is scenarios/crash.json).
// Exit codes: 0 done (backtest: every judged scenario passed), 1 the user's mistake (unknown scenario, bad option,
// bad parameter file) or, for backtest, a judged scenario missed; 2 the replay could not run.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadScenario } from '../mock-exchange/scenario.js';
import { resolveRiskParameters, type RiskParameterOverrides, type RiskParameters } from '../risk/parameters.js';
import { DEFAULT_STEP_SEC } from '../replay/cadence.js';
import {
  backtestFigures,
  backtestReport,
  bundledScenarios,
  clockTime,
  offsetText,
  resolveScenario,
  simulatedMinutesPerSecond,
  splitSummary,
  timelineLine,
  type BacktestFigures,
} from '../replay/format.js';
import { progressLine } from '../replay/progress.js';
import { replayScenario, type ReplayOptions } from '../replay/replay.js';

type Write = (text: string) => void;

interface Parsed {
  positional: string[];
  flags: Set<string>;
  speed: number | undefined;
  stepSec: number | undefined;
  paramsFile: string | undefined;
  error: string | null;
}

/** `flags` take no value; `--speed` and `--step` take a positive number, `--params` a path. */
function parseArguments(words: readonly string[], flags: readonly string[], valued: readonly string[]): Parsed {
  const parsed: Parsed = {
    positional: [],
    flags: new Set(),
    speed: undefined,
    stepSec: undefined,
    paramsFile: undefined,
    error: null,
  };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    if (!word.startsWith('--')) {
      parsed.positional.push(word);
      continue;
    }
    const [flag = '', inline] = word.split('=', 2);
    if (flags.includes(flag) && inline === undefined) {
      parsed.flags.add(flag);
      continue;
    }
    if (!valued.includes(flag)) {
      parsed.error = `unknown option ${flag}`;
      return parsed;
    }
    const text = inline ?? words[++i];
    if (flag === '--params') {
      if (text === undefined || text === '') {
        parsed.error = '--params needs a JSON file of risk parameter overrides';
        return parsed;
      }
      parsed.paramsFile = text;
      continue;
    }
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || value <= 0) {
      parsed.error = `${flag} needs a positive number`;
      return parsed;
    }
    if (flag === '--speed') parsed.speed = value;
    if (flag === '--step') {
      // Whole seconds: the scenario clock and the store's timestamps move in milliseconds, passes in seconds.
      if (!Number.isInteger(value)) {
        parsed.error = '--step needs a whole number of seconds';
        return parsed;
      }
      parsed.stepSec = value;
    }
  }
  return parsed;
}

/** The parameters of `--params`, undefined without it, or null after writing why the file was refused. */
async function paramsOption(
  command: string,
  file: string | undefined,
  write: Write,
): Promise<RiskParameters | undefined | null> {
  if (file === undefined) return undefined;
  const loaded = await loadRiskParameters(file);
  if (loaded.error === null) return loaded.params;
  write(`${command}: ${loaded.error}`);
  return null;
}

function unknownScenario(name: string): string {
  const bundled = bundledScenarios();
  return `no scenario "${name}": give a path to a scenario file or one of: ${bundled.join(', ') || '(none bundled)'}`;
}

/**
 * Reads a JSON file of partial risk parameter overrides and resolves it over the defaults. Either the parameters
 * or a message naming the file and every invalid path.
 */
export async function loadRiskParameters(
  file: string,
): Promise<{ params: RiskParameters; error: null } | { params: null; error: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { params: null, error: `cannot read ${file}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (error) {
    return { params: null, error: `${file} is not JSON: ${(error as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { params: null, error: `${file} must hold a JSON object of risk parameter overrides` };
  }
  try {
    return { params: resolveRiskParameters(json as RiskParameterOverrides), error: null };
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    const problems = error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { params: null, error: `${file} is not a valid set of risk parameters:\n${problems.join('\n')}` };
  }
}

/** `replay <scenario> [--json] [--speed X] [--step seconds] [--params file]`. */
export async function runReplayCommand(words: readonly string[], write: Write): Promise<number> {
  const usage = 'Usage: replay <scenario> [--json] [--speed X] [--step seconds] [--params file.json]';
  const args = parseArguments(words, ['--json'], ['--speed', '--step', '--params']);
  if (args.error !== null) {
    write(`replay: ${args.error}. ${usage}`);
    return 1;
  }
  const [name, ...extra] = args.positional;
  if (name === undefined || extra.length > 0) {
    write(`${usage}   (scenario: a path or a bundled name)`);
    return 1;
  }
  const json = args.flags.has('--json');
  const file = resolveScenario(name);
  if (file === null) {
    write(unknownScenario(name));
    return 1;
  }
  const params = await paramsOption('replay', args.paramsFile, write);
  if (params === null) return 1;
  const stepSec = args.stepSec ?? DEFAULT_STEP_SEC;
  const progress = progressLine();
  try {
    if (!json) write(`Replaying ${name} (${file}) on the mock exchange, one pass every ${stepSec} s...`);
    const result = await replayScenario({
      file,
      stepSec,
      ...(params !== undefined ? { params } : {}),
      ...(args.speed !== undefined ? { speed: args.speed } : {}),
      onAlert: (alert) => {
        progress.clear();
        if (json) {
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
      stepSec: result.stepSec,
      passes: result.passes.length,
      alerts: result.alerts.length,
      firstWarningSec: figures.firstWarningSec,
      firstCriticalSec: figures.firstCriticalSec,
      largestLiquidationMinuteSec: figures.largestMinuteSec,
      verdict: figures.verdict,
      misses: figures.misses,
      wallMs: Math.round(result.wallMs),
      simulatedMinutesPerSecond: Math.round(simulatedMinutesPerSecond(result) * 10) / 10,
      unsettledSteps: result.unsettledSteps,
    };
    if (json) write(JSON.stringify(summary));
    else {
      const startMs = Date.parse(result.scenario.start);
      const when = (sec: number | null) =>
        sec === null ? 'none' : `${clockTime(startMs + sec * 1000)} (${offsetText(sec)})`;
      const lines = [
        `${result.alerts.length === 0 ? 'No alerts. ' : ''}${result.passes.length} passes over ${offsetText(result.simulatedSec).slice(1)} of scenario time, ` +
          `${result.alerts.length} alerts; first warning ${when(figures.firstWarningSec)}, first critical ${when(figures.firstCriticalSec)}.`,
      ];
      if (figures.verdict !== null) {
        lines.push(`Expectations: ${figures.verdict}.${figures.misses.map((m) => `\n  ${m}`).join('')}`);
      }
      lines.push(
        `Replayed in ${(result.wallMs / 1000).toFixed(1)} s (${summary.simulatedMinutesPerSecond} simulated minutes per second).`,
      );
      write(lines.join('\n'));
    }
    return 0;
  } catch (error) {
    progress.clear();
    write(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

export interface BacktestOptions {
  stepSec?: number;
  params?: RiskParameters;
  onProgress?: (name: string, progress: Parameters<NonNullable<ReplayOptions['onProgress']>>[0]) => void;
}

/** Replays each scenario at one fixed step and returns its backtest figures and verdict. */
export async function backtestScenarios(
  names: readonly string[],
  options: BacktestOptions = {},
): Promise<BacktestFigures[]> {
  const rows: BacktestFigures[] = [];
  for (const name of names) {
    const file = resolveScenario(name);
    if (file === null) throw new Error(unknownScenario(name));
    const onProgress = options.onProgress;
    const result = await replayScenario({
      file,
      stepSec: options.stepSec ?? DEFAULT_STEP_SEC,
      ...(options.params !== undefined ? { params: options.params } : {}),
      ...(onProgress ? { onProgress: (p: Parameters<typeof onProgress>[1]) => onProgress(name, p) } : {}),
    });
    rows.push(backtestFigures(result));
  }
  return rows;
}

/** The bundled scenarios that state what a backtest expects of them. */
export async function judgedBundledScenarios(): Promise<string[]> {
  const names: string[] = [];
  for (const name of bundledScenarios()) {
    const file = resolveScenario(name);
    if (file !== null && (await loadScenario(file)).expect !== undefined) names.push(name);
  }
  return names;
}

const BACKTEST_USAGE =
  'Usage: backtest [<scenario...> | --all] [--json | --markdown] [--step seconds] [--params file.json]';

function methodParagraph(command: string, stepSec: number, params: boolean): string {
  return (
    `Produced by \`npm run -s cli -- ${command}\`: each scenario replayed through the whole pipeline (mock exchange, ` +
    'ccxt clients with liquidation streams, SQLite store, risk loop, alert rules) on a simulated clock, one pass every ' +
    `${stepSec} s of scenario time from the first minute to the last (the bot's RISK_CRON cadence unless --step says ` +
    'otherwise; nothing about the scenario chooses the step), with ' +
    `${params ? 'the risk parameters of the --params file' : 'the default risk parameters'}. Each scenario with an ` +
    'expect section is judged on the levels of every pass, not only on the alerts sent; tuning scenarios may shape ' +
    'the defaults, holdout ones only check them. The scenarios are synthetic: shaped after published figures, not ' +
    'replayed ticks (see scenarios/README.md). Replay time is wall time on the machine that produced this file.'
  );
}

/**
 * `backtest [<scenario...> | --all] [--json | --markdown] [--step S] [--params file]`: a table per split of verdicts,
 * lead times and false alarms, the hit markets and the misses (`--markdown`: a whole document, as docs/backtest.md;
 * `--json`: one object per scenario, then one per split). No names, or `--all`: every bundled scenario with an
 * expect section. Exits 1 when a judged scenario missed, after printing everything.
 */
export async function runBacktestCommand(words: readonly string[], write: Write): Promise<number> {
  const args = parseArguments(words, ['--json', '--markdown', '--all'], ['--step', '--params']);
  if (args.error !== null) {
    write(`backtest: ${args.error}. ${BACKTEST_USAGE}`);
    return 1;
  }
  const json = args.flags.has('--json');
  const markdown = args.flags.has('--markdown');
  if (json && markdown) {
    write(`backtest: --json and --markdown exclude each other. ${BACKTEST_USAGE}`);
    return 1;
  }
  if (args.flags.has('--all') && args.positional.length > 0) {
    write(`backtest: give scenario names or --all, not both. ${BACKTEST_USAGE}`);
    return 1;
  }
  const missing = args.positional.find((name) => resolveScenario(name) === null);
  if (missing !== undefined) {
    write(unknownScenario(missing));
    return 1;
  }
  const params = await paramsOption('backtest', args.paramsFile, write);
  if (params === null) return 1;
  const stepSec = args.stepSec ?? DEFAULT_STEP_SEC;
  const progress = progressLine();
  try {
    const names = args.positional.length > 0 ? args.positional : await judgedBundledScenarios();
    if (names.length === 0) {
      write(`backtest: no bundled scenario has an expect section; name the scenarios to replay. ${BACKTEST_USAGE}`);
      return 1;
    }
    const rows = await backtestScenarios(names, {
      stepSec,
      ...(params !== undefined ? { params } : {}),
      onProgress: (name, p) => progress.update(name, p),
    });
    progress.clear();
    if (json) {
      for (const row of rows) write(JSON.stringify(row));
      for (const split of ['tuning', 'holdout'] as const) {
        const judged = rows.filter((r) => r.split === split);
        if (judged.length > 0) write(JSON.stringify({ type: 'split', split, summary: splitSummary(split, judged) }));
      }
    } else {
      if (markdown) {
        const command = ['backtest', ...words.filter((w) => w !== '--markdown'), '--markdown'].join(' ');
        write('# Backtest on the bundled scenarios');
        write('');
        write(methodParagraph(command, stepSec, params !== undefined));
        write('');
      }
      write(backtestReport(rows));
    }
    return rows.some((r) => r.verdict === 'miss') ? 1 : 0;
  } catch (error) {
    progress.clear();
    write(`backtest failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

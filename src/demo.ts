// `npm run demo`: the bundled crash scenario replayed through the whole pipeline on the local mock exchange, at a
// watchable pace, printing each alert as the console would when it fires. Needs no tokens, settings or network:
// everything runs on 127.0.0.1 with a temporary store.
import { renderText } from './chat/text.js';
import { offsetText, clockTime, resolveScenario, simulatedMinutesPerSecond } from './replay/format.js';
import { DEFAULT_STEP_SEC } from './replay/cadence.js';
import { replayScenario } from './replay/replay.js';

/** Simulated seconds per real second: the hour of the crash plays in about a minute. */
const DEMO_SPEED = 60;

async function demo(): Promise<number> {
  const name = process.argv[2] ?? 'crash';
  const speedArgument = process.argv[3];
  const speed = speedArgument === undefined ? DEMO_SPEED : Number(speedArgument);
  const file = resolveScenario(name);
  if (file === null || !(speed > 0)) {
    process.stderr.write('usage: npm run demo [-- <scenario> [speed]]\n');
    return 1;
  }
  const out = (text: string) => void process.stdout.write(text + '\n');
  const tty = process.stdout.isTTY === true;
  let status = '';
  const clearStatus = () => {
    if (tty && status !== '') process.stdout.write('\r\x1b[2K');
    status = '';
  };
  out(`Spiralwatch demo: replaying "${name}" on a local mock exchange at ${speed}x (Ctrl-C stops).`);
  out(
    `Real ccxt clients poll and stream the scenario; the risk loop scores every market every ${DEFAULT_STEP_SEC} ` +
      'simulated seconds, as the bot does.\n',
  );
  const result = await replayScenario({
    file,
    stepSec: DEFAULT_STEP_SEC,
    speed,
    onAlert: (alert) => {
      clearStatus();
      out(`--- ${clockTime(alert.at)} UTC (${offsetText(alert.offsetSec)}) ---`);
      out(renderText(alert.reply) + '\n');
    },
    onProgress: (p) => {
      const line = `scenario ${offsetText(p.offsetSec)} of ${offsetText(p.untilSec).slice(1)}, ${p.alerts} alerts so far`;
      if (tty) {
        process.stdout.write(`\r\x1b[2K${line}`);
        status = line;
      } else if (p.offsetSec % 600 === 0) out(line);
    },
  });
  clearStatus();
  out(
    `Done: ${result.alerts.length} alerts over ${offsetText(result.simulatedSec).slice(1)} of scenario time ` +
      `(${(result.wallMs / 1000).toFixed(0)} s, ${simulatedMinutesPerSecond(result).toFixed(1)} simulated minutes per second).`,
  );
  out('Try "npm run -s cli -- replay crash" for the timeline, or "backtest crash calm" for lead times.');
  return 0;
}

try {
  process.exitCode = await demo();
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}

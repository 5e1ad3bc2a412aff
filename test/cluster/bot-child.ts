// One instance of the bot for the failover test (failover.test.ts), as `npm start` runs it but on a scenario clock:
// SPIRALWATCH_TEST_CLOCK="<scenarioStartMs>,<wallStartMs>,<speed>" maps the wall clock onto the mock exchange's
// scenario time (scenario = start + (wall - wallStart) x speed), which market data, scores and alert marks are
// stamped with. Delivery, leases and timers keep the wall clock. Runs until SIGTERM; a failure to start is written
// to stderr and exits with code 1.
import { runBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config/env.js';

/** The scenario clock of SPIRALWATCH_TEST_CLOCK, or why there is none. */
function scenarioClock(text: string | undefined): (() => number) | string {
  if (text === undefined || text.trim() === '') return 'SPIRALWATCH_TEST_CLOCK is not set';
  const parts = text.split(',').map((part) => Number(part.trim()));
  const [scenarioStartMs, wallStartMs, speed] = parts;
  if (
    parts.length !== 3 ||
    scenarioStartMs === undefined ||
    wallStartMs === undefined ||
    speed === undefined ||
    !parts.every(Number.isFinite) ||
    !(speed > 0)
  ) {
    return `SPIRALWATCH_TEST_CLOCK must be "<scenarioStartMs>,<wallStartMs>,<speed>", not "${text}"`;
  }
  return () => scenarioStartMs + Math.round((Date.now() - wallStartMs) * speed);
}

async function start(): Promise<void> {
  const marketNow = scenarioClock(process.env.SPIRALWATCH_TEST_CLOCK);
  if (typeof marketNow === 'string') throw new Error(marketNow);
  await runBot(loadConfig(process.env), { marketNow });
}

start().catch((error: unknown) => {
  process.stderr.write(`bot-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

// Replay speed: simulated minutes per real second through the whole pipeline (mock exchange, ccxt clients with
// streams, SQLite store, risk loop, alert rules), at one pass per simulated minute.
import { fileURLToPath } from 'node:url';
import { replayScenario } from '../src/replay/index.js';
import type { Bench, BenchFigures } from './types.js';

const scenarioFile = (name: string): string => fileURLToPath(new URL(`../scenarios/${name}.json`, import.meta.url));

async function measure(name: string, untilSec?: number): Promise<BenchFigures> {
  const result = await replayScenario({ file: scenarioFile(name), stepSec: 60, ...(untilSec ? { untilSec } : {}) });
  const simulatedMinutes = result.simulatedSec / 60;
  return {
    bench: 'replay',
    case: name,
    figures: {
      passes: result.passes.length,
      simulatedMinutes,
      wallSeconds: result.wallMs / 1000,
      simulatedMinutesPerSecond: simulatedMinutes / (result.wallMs / 1000),
      alerts: result.alerts.length,
      unsettledSteps: result.unsettledSteps,
    },
  };
}

export const replay: Bench = {
  name: 'replay',
  description: 'simulated minutes per second through the real pipeline, one pass per simulated minute',
  async run({ quick }) {
    // A full calm day at one-minute passes, and the bundled crash; quick: the crash and six hours of a calm day.
    return [await measure('crash'), await measure('calm-day-1', quick ? 6 * 3600 : undefined)];
  },
};

// `npm run bench [-- name ...] [--quick]`: runs the named benchmarks (all by default), prints a table per
// benchmark and then one JSON line per figure set so runs can be compared by a script.
import type { BenchFigures } from './types.js';
import { benches } from './index.js';

function printTable(results: readonly BenchFigures[]): void {
  for (const result of results) {
    const goal = result.goal === undefined ? '' : `  goal: ${result.goal} (${result.goalMet ? 'met' : 'NOT met'})`;
    console.log(`\n${result.bench} / ${result.case}${goal}`);
    const width = Math.max(...Object.keys(result.figures).map((k) => k.length));
    for (const [name, value] of Object.entries(result.figures)) {
      const shown = typeof value === 'number' ? formatNumber(value) : String(value);
      console.log(`  ${name.padEnd(width)}  ${shown}`);
    }
  }
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !benches.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark: ${unknown.join(', ')}. Known: ${benches.map((b) => b.name).join(', ')}`);
    return 1;
  }
  const selected = names.length === 0 ? benches : benches.filter((b) => names.includes(b.name));
  const all: BenchFigures[] = [];
  for (const entry of selected) {
    const bench = await entry.load();
    console.log(`\n== ${bench.name}: ${bench.description}`);
    const results = await bench.run({ quick });
    printTable(results);
    all.push(...results);
  }
  console.log('');
  for (const result of all) console.log(JSON.stringify(result));
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

// The scenario suite: every generated file and the two hand-made crash files that get an expect section, with
// the text each should have. `npm run scenarios` writes them (scenarios/make/main.ts); the suite test checks that
// the files on disk are what this produces.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import type { ExchangeId } from '../../src/domain/market.js';
import { parseScenario, type ExpectedHit, type ScenarioInput } from '../../src/mock-exchange/scenario.js';
import { build, VENUES, withExpect, type Plan } from './build.js';
import { BUSY_DAYS } from './busy.js';
import { CRASHES } from './crashes.js';
import { computeHits } from './expect.js';
import { serialize } from './serialize.js';
import { TRAPS } from './traps.js';

export const SCENARIOS_DIR = fileURLToPath(new URL('../', import.meta.url));

export const PLANS: readonly Plan[] = [...CRASHES, ...TRAPS, ...BUSY_DAYS];

/** Hand-made scenario files that only get an expect section from the generator (the rest is left as it is). */
export const PATCHED: readonly {
  name: string;
  split: 'tuning' | 'holdout';
  hits: { base: string; venues: ExchangeId[] }[];
}[] = [
  {
    name: 'crash-2025-10-10',
    split: 'tuning',
    hits: [
      { base: 'BTC', venues: ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] },
      { base: 'ETH', venues: ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] },
      { base: 'SOL', venues: ['binanceusdm'] },
    ],
  },
  {
    name: 'crash-2021-05-19',
    split: 'holdout',
    hits: [
      { base: 'BTC', venues: ['binanceusdm', 'bybit', 'okx'] },
      { base: 'ETH', venues: ['binanceusdm', 'bybit', 'okx'] },
    ],
  },
];

/** Builds a plan into the scenario it describes, with its expect section and description. */
export function finalize(plan: Plan): ScenarioInput {
  const built = build(plan);
  let hits: ExpectedHit[] = [];
  let expect: ScenarioInput['expect'];
  const e = plan.expect;
  if (e?.outcome === 'spiral') {
    const parsed = parseScenario(built.scenario, plan.name);
    const targets = (e.hits ?? []).map((hit) => ({
      base: hit.base,
      venues: hit.venues ?? VENUES.filter((v) => parsed.venues[v]?.markets.some((m) => m.base === hit.base)),
    }));
    hits = computeHits(parsed, targets);
    expect = { outcome: 'spiral', split: e.split, hits, quiet: e.quiet ?? [] };
  } else if (e?.outcome === 'calm') {
    expect = { outcome: 'calm', split: e.split, trap: e.trap ?? '' };
  }
  built.scenario.description = plan.description(built, hits);
  const scenario = withExpect(built.scenario, expect);
  parseScenario(scenario, plan.name);
  return scenario;
}

/** The text of a generated file. */
export function generatedText(plan: Plan): string {
  return serialize(finalize(plan));
}

/** A hand-made file's text without its expect section (the generator appends it last). */
function withoutExpect(text: string): string {
  const at = text.indexOf(',\n  "expect": ');
  return at === -1 ? text : `${text.slice(0, at)}\n}\n`;
}

/** The text a patched file should have: the file as it is, with the expect section computed from its own data. */
export async function patchedText(entry: (typeof PATCHED)[number], current?: string): Promise<string> {
  const file = `${SCENARIOS_DIR}${entry.name}.json`;
  const base = withoutExpect(current ?? (await readFile(file, 'utf8')));
  const scenario = parseScenario(JSON.parse(base), entry.name);
  const expect = { outcome: 'spiral', split: entry.split, hits: computeHits(scenario, entry.hits), quiet: [] };
  const text = base.replace(/\n}\n$/, `,\n  "expect": ${JSON.stringify(expect)}\n}\n`);
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

/** Every file of the suite: name and the text it should have. */
export async function suiteFiles(): Promise<{ name: string; text: string }[]> {
  const files = PLANS.map((plan) => ({ name: plan.name, text: generatedText(plan) }));
  for (const entry of PATCHED) files.push({ name: entry.name, text: await patchedText(entry) });
  return files;
}

// Latency of the glossary's lookup and autocomplete over a few thousand mixed queries built from the real
// glossary with a fixed seed: exact titles, aliases, typos, prefixes, questions and misses.
import { loadGlossaryEntries } from '../src/glossary/load.js';
import { createGlossary } from '../src/glossary/search.js';
import type { GlossaryEntry } from '../src/glossary/types.js';
import { createRandom } from '../src/mock-exchange/random.js';
import { percentiles, type Bench, type BenchFigures } from './types.js';

const GOAL = 'p99 < 1 ms';
const GOAL_MS = 1;
const SEED = 0x5eed;

const QUERY_KINDS = ['title', 'alias', 'typo', 'prefix', 'question', 'miss'] as const;
type QueryKind = (typeof QUERY_KINDS)[number];

const QUESTIONS = [
  'who pays when the insurance fund runs out',
  'what happens when funding is very positive',
  'why do longs get liquidated in a crash',
  'how much can the order book absorb before the price moves',
  'who loses money when positions are closed by the exchange',
  'what makes a sell-off feed on itself',
  'how do I size a position so one move does not wipe me out',
  'what is the difference between isolated and cross margin',
];
const TEMPLATES = ['what is {a}', 'how does {a} work', 'how does {a} affect {b}', 'why does {a} matter in a crash'];
const MISSES = ['pizza delivery', 'weather tomorrow', 'quantum entanglement', 'recipe for bread', 'football scores'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function mixedQueries(entries: readonly GlossaryEntry[], count: number): { kind: QueryKind; text: string }[] {
  // Seeded, so every run measures the same queries.
  const random = createRandom(SEED).next;
  const pick = <T>(items: readonly T[]): T => {
    const item = items[Math.floor(random() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  };
  const titles = entries.map((entry) => entry.title);
  const aliases = entries.flatMap((entry) => entry.aliases);
  const names = [...titles, ...aliases];
  const letter = (): string => pick([...LETTERS]);
  const misspell = (name: string): string => {
    const at = 1 + Math.floor(random() * (name.length - 2));
    const edits = [
      () => name.slice(0, at) + name.slice(at + 1),
      () => name.slice(0, at) + letter() + name.slice(at),
      () => name.slice(0, at) + letter() + name.slice(at + 1),
      () => name.slice(0, at) + (name[at + 1] ?? '') + (name[at] ?? '') + name.slice(at + 2),
    ];
    return pick(edits)();
  };
  const make: Record<QueryKind, () => string> = {
    title: () => pick(titles),
    alias: () => pick(aliases.length > 0 ? aliases : titles),
    typo: () => misspell(pick(names.filter((name) => name.length >= 8))),
    prefix: () => pick(names).slice(0, 1 + Math.floor(random() * 8)),
    question: () =>
      random() < 0.5
        ? pick(QUESTIONS)
        : pick(TEMPLATES).replace('{a}', pick(titles).toLowerCase()).replace('{b}', pick(titles).toLowerCase()),
    miss: () =>
      random() < 0.5 ? pick(MISSES) : Array.from({ length: 4 + Math.floor(random() * 10) }, letter).join(''),
  };
  return Array.from({ length: count }, () => {
    const kind = pick(QUERY_KINDS);
    return { kind, text: make[kind]() };
  });
}

/** Milliseconds each call of `run` takes, one sample per query, after one unmeasured pass to warm up. */
function timeEach(queries: readonly { text: string }[], run: (text: string) => unknown): number[] {
  for (const { text } of queries) run(text);
  return queries.map(({ text }) => {
    const start = process.hrtime.bigint();
    run(text);
    return Number(process.hrtime.bigint() - start) / 1e6;
  });
}

function latencyFigures(
  name: string,
  queries: readonly { kind: QueryKind }[],
  samples: readonly number[],
): BenchFigures {
  const all = percentiles(samples);
  const figures: BenchFigures['figures'] = {
    queries: samples.length,
    medianMs: all.median,
    p99Ms: all.p99,
    maxMs: all.max,
  };
  for (const kind of QUERY_KINDS) {
    figures[`p99${kind[0]?.toUpperCase()}${kind.slice(1)}Ms`] = percentiles(
      samples.filter((_, i) => queries[i]?.kind === kind),
    ).p99;
  }
  return { bench: 'glossary', case: name, figures, goal: GOAL, goalMet: all.p99 < GOAL_MS };
}

export const glossary: Bench = {
  name: 'glossary',
  description:
    'lookup and autocomplete latency over mixed queries (titles, aliases, typos, prefixes, questions, misses)',
  run({ quick }) {
    const entries = loadGlossaryEntries();
    const buildStart = process.hrtime.bigint();
    const index = createGlossary(entries);
    const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;

    const queries = mixedQueries(entries, quick ? 1000 : 5000);
    const lookups = timeEach(queries, (text) => index.lookup(text));
    const completions = timeEach(queries, (text) => index.autocomplete(text));
    return Promise.resolve([
      {
        bench: 'glossary',
        case: 'create',
        figures: { entries: entries.length, names: entries.reduce((n, e) => n + 1 + e.aliases.length, 0), buildMs },
      },
      latencyFigures('lookup', queries, lookups),
      latencyFigures('autocomplete', queries, completions),
    ]);
  },
};

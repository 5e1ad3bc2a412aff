/** One set of figures a benchmark measured; printed as a table row group and as one JSON line. */
export interface BenchFigures {
  /** The benchmark's name, e.g. `glossary`. */
  bench: string;
  /** What this set measures within the benchmark, e.g. `lookup`. */
  case: string;
  /** Figure name to value; put the unit in the name (`p99Ms`, `rssMb`, `requestsPerMinute`). */
  figures: Record<string, number | string | boolean>;
  /** The goal, in words, when the issue sets one (`p99 < 1 ms`). */
  goal?: string;
  /** Whether the goal was met; omitted when there is no goal. */
  goalMet?: boolean;
}

export interface Bench {
  name: string;
  description: string;
  /** `quick` asks for a smaller run (fewer items) where the full one takes minutes. */
  run(options: { quick: boolean }): Promise<BenchFigures[]>;
}

/** Median and p99 of a list of samples, in the samples' unit. */
export function percentiles(samples: readonly number[]): { median: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

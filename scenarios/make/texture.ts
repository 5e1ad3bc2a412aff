// The texture of an ordinary market, minute by minute: seeded Gaussian noise with occasional larger moves, slow
// mean reversion, the daily rhythm of trading (busier in the US session, quieter late at night and at weekends) and
// scripted moves with named shapes. Everything here is deterministic for a given seed.
import { createRandom, seedOf, type Random } from '../../src/mock-exchange/random.js';

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86_400;
/** Minutes in a year, for annualized volatilities. */
const MINUTES_PER_YEAR = 525_600;

/** A seeded source of standard normal numbers (Box-Muller), with an optional fat tail. */
export class Noise {
  private readonly random: Random;
  private spare: number | null = null;

  constructor(...seedParts: readonly (string | number)[]) {
    this.random = createRandom(seedOf('spiralwatch-suite', ...seedParts));
  }

  uniform(min = 0, max = 1): number {
    return this.random.uniform(min, max);
  }

  gauss(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u = Math.max(1e-12, this.random.next());
    const v = this.random.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** A normal draw that is, one time in forty, three times as large (unit variance overall). */
  fatGauss(): number {
    const big = this.random.next() < 0.025;
    return (this.gauss() * (big ? 3 : 1)) / Math.sqrt(0.975 + 0.025 * 9);
  }

  /**
   * An Ornstein-Uhlenbeck path of `length` minutes with this stationary standard deviation and half-life (minutes),
   * starting at a stationary draw.
   */
  ou(length: number, sd: number, halfLifeMin: number): Float64Array {
    const phi = Math.pow(0.5, 1 / halfLifeMin);
    const step = sd * Math.sqrt(1 - phi * phi);
    const out = new Float64Array(length);
    let x = sd * this.gauss();
    for (let i = 0; i < length; i++) {
      x = phi * x + step * this.gauss();
      out[i] = x;
    }
    return out;
  }
}

/** Trading activity by hour of day (UTC), mean 1: Asia's open, a quiet European night, the US session's peak. */
const HOURLY = [
  1.0, 1.05, 0.95, 0.85, 0.78, 0.72, 0.75, 0.85, 0.95, 0.95, 0.92, 0.92, 1.0, 1.2, 1.4, 1.35, 1.2, 1.1, 1.0, 0.95, 0.95,
  0.85, 0.78, 0.85,
] as const;
const HOURLY_MEAN = HOURLY.reduce((sum, x) => sum + x, 0) / HOURLY.length;
/** Weekends trade about a third less. */
export const WEEKEND_ACTIVITY = 0.68;

/** Activity at an epoch ms: the hourly profile, interpolated, times the weekend factor. */
export function activityAt(epochMs: number): number {
  const date = new Date(epochMs);
  const hours = date.getUTCHours() + date.getUTCMinutes() / 60 - 0.5;
  const h0 = Math.floor(hours);
  const frac = hours - h0;
  const a = HOURLY[((h0 % 24) + 24) % 24] ?? 1;
  const b = HOURLY[(((h0 + 1) % 24) + 24) % 24] ?? 1;
  const day = date.getUTCDay();
  const weekend = day === 0 || day === 6 ? WEEKEND_ACTIVITY : 1;
  return ((a + (b - a) * frac) / HOURLY_MEAN) * weekend;
}

/** Per-minute standard deviation of log returns for an annualized volatility. */
export function minuteSigma(annualVol: number): number {
  return annualVol / Math.sqrt(MINUTES_PER_YEAR);
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes of scripted moves

/**
 * How a move unfolds between its start (u = 0) and end (u = 1), as the share done at u:
 * - `linear`, `smooth` (slow start and end);
 * - `{ mode, k }`: most of the move around `mode` (a bump of concentration k, default 6): a cascade accelerates
 *   into its worst minutes and tails off;
 * - `{ pulse: m }`: up to 1 at m and back to 0 at the end (a wick, a burst of volatility, a dip in depth);
 * - `step`: all at once at the start.
 */
export type Curve = 'linear' | 'smooth' | 'step' | { mode: number; k?: number } | { pulse: number };

export interface Move {
  /** Offsets in seconds. */
  from: number;
  to: number;
  /** Fractional change (price, open interest, depth, volume, ratio) or an additive amount (funding, volatility). */
  change: number;
  curve?: Curve;
}

const bumpTables = new Map<string, Float64Array>();
const BUMP_STEPS = 2000;

function bumpTable(mode: number, k: number): Float64Array {
  const key = `${mode}|${k}`;
  const cached = bumpTables.get(key);
  if (cached !== undefined) return cached;
  const a = k * mode;
  const b = k * (1 - mode);
  const table = new Float64Array(BUMP_STEPS + 1);
  let sum = 0;
  for (let i = 1; i <= BUMP_STEPS; i++) {
    const u = (i - 0.5) / BUMP_STEPS;
    sum += Math.pow(u, a) * Math.pow(1 - u, b);
    table[i] = sum;
  }
  for (let i = 1; i <= BUMP_STEPS; i++) table[i] = (table[i] ?? 0) / sum;
  bumpTables.set(key, table);
  return table;
}

const smooth = (u: number) => u * u * (3 - 2 * u);

/** The share of a move done at u (0..1) for a curve. */
export function progress(curve: Curve, u: number): number {
  const x = Math.min(1, Math.max(0, u));
  if (curve === 'linear') return x;
  if (curve === 'smooth') return smooth(x);
  if (curve === 'step') return u >= 0 ? 1 : 0;
  if ('pulse' in curve) {
    const m = curve.pulse;
    if (x <= 0 || x >= 1) return 0;
    return x < m ? smooth(x / m) : 1 - smooth((x - m) / (1 - m));
  }
  const table = bumpTable(curve.mode, curve.k ?? 6);
  const position = x * BUMP_STEPS;
  const i = Math.floor(position);
  const lo = table[i] ?? 1;
  const hi = table[Math.min(BUMP_STEPS, i + 1)] ?? 1;
  return lo + (hi - lo) * (position - i);
}

/** The share of a move done at offset t (seconds). */
export function moveShare(move: Move, t: number): number {
  const curve = move.curve ?? 'smooth';
  if (curve === 'step') return t >= move.from ? 1 : 0;
  if (t <= move.from) return 0;
  if (t >= move.to) return typeof curve === 'object' && 'pulse' in curve ? 0 : 1;
  return progress(curve, (t - move.from) / (move.to - move.from));
}

/** Sum of log(1 + change) x share: the log factor of fractional moves at t. */
export function logFactor(moves: readonly Move[] | undefined, t: number): number {
  let sum = 0;
  for (const move of moves ?? []) sum += Math.log(1 + move.change) * moveShare(move, t);
  return sum;
}

/** Sum of change x share: additive moves at t. */
export function addend(moves: readonly Move[] | undefined, t: number): number {
  let sum = 0;
  for (const move of moves ?? []) sum += move.change * moveShare(move, t);
  return sum;
}

// ---------------------------------------------------------------------------------------------------------------
// Small numeric helpers

/** Rounds to this many significant digits. */
export function sig(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return 0;
  return Number(value.toPrecision(digits));
}

/** Rounds to a multiple of 10^-decimals. */
export function dec(value: number, decimals: number): number {
  const rounded = Number(value.toFixed(decimals));
  return rounded === 0 ? 0 : rounded;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Exponential moving average of a series with this half-life in samples. */
export function ema(series: Float64Array, halfLife: number): Float64Array {
  const alpha = 1 - Math.pow(0.5, 1 / halfLife);
  const out = new Float64Array(series.length);
  let value = series[0] ?? 0;
  for (let i = 0; i < series.length; i++) {
    value += alpha * ((series[i] ?? 0) - value);
    out[i] = value;
  }
  return out;
}

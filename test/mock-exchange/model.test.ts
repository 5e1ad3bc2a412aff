// The mock's market state and 24 h high/low come from binary searches and a range table over the price knots; they
// must give exactly what a plain scan over the keyframes gives, on random keyframes (repeated times, fields set on
// some keyframes only, times before the first and after the last) and on every bundled scenario.
import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildModel, dayStats, type MarketState, type VenueMarket } from '../../src/mock-exchange/model.js';
import { createRandom, type Random } from '../../src/mock-exchange/random.js';
import {
  loadScenario,
  parseScenario,
  type Keyframe,
  type Scenario,
  type ScenarioInput,
} from '../../src/mock-exchange/scenario.js';

type Field = Exclude<keyof MarketState, 'markPrice' | 'indexPrice'>;
type Point = [number, number];

/** The straightforward reading of the keyframes: scan from the first knot to the first at or after t. */
function referenceInterpolate(points: readonly Point[], t: number): number {
  const first = points[0];
  if (first === undefined) return 0;
  if (t <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const left = points[i - 1] as Point;
    const right = points[i] as Point;
    if (t <= right[0]) {
      const span = right[0] - left[0];
      if (span <= 0) return right[1];
      return left[1] + ((right[1] - left[1]) * (t - left[0])) / span;
    }
  }
  return (points[points.length - 1] as Point)[1];
}

function referencePoints(keyframes: readonly Keyframe[]): Record<Field, Point[]> {
  const points: Record<Field, Point[]> = {
    price: [],
    premium: [],
    fundingRate: [],
    openInterestUsd: [],
    volume24hUsd: [],
    bidDepth1PctUsd: [],
    askDepth1PctUsd: [],
    longShortRatio: [],
  };
  for (const k of keyframes) {
    const values: Record<Field, number | undefined> = {
      price: k.price,
      premium: k.premium,
      fundingRate: k.fundingRate,
      openInterestUsd: k.openInterestUsd,
      volume24hUsd: k.volume24hUsd,
      bidDepth1PctUsd: k.bidDepth1PctUsd ?? k.depth1PctUsd,
      askDepth1PctUsd: k.askDepth1PctUsd ?? k.depth1PctUsd,
      longShortRatio: k.longShortRatio,
    };
    for (const field of Object.keys(points) as Field[]) {
      const value = values[field];
      if (value !== undefined) points[field].push([k.atSec, value]);
    }
  }
  if (points.premium.length === 0) points.premium.push([0, 0]);
  if (points.longShortRatio.length === 0) points.longShortRatio.push([0, 1]);
  return points;
}

function referenceStateOf(points: Record<Field, Point[]>, t: number): MarketState {
  const price = referenceInterpolate(points.price, t);
  const premium = referenceInterpolate(points.premium, t);
  return {
    price,
    markPrice: price,
    indexPrice: price / (1 + premium),
    premium,
    fundingRate: referenceInterpolate(points.fundingRate, t),
    openInterestUsd: referenceInterpolate(points.openInterestUsd, t),
    volume24hUsd: referenceInterpolate(points.volume24hUsd, t),
    bidDepth1PctUsd: referenceInterpolate(points.bidDepth1PctUsd, t),
    askDepth1PctUsd: referenceInterpolate(points.askDepth1PctUsd, t),
    longShortRatio: referenceInterpolate(points.longShortRatio, t),
  };
}

/** Open, high, low, last over the 24 h before atMs, every price knot strictly inside the window visited. */
function referenceDayStats(keyframes: readonly Keyframe[], startMs: number, atMs: number) {
  const fromSec = (atMs - 86_400_000 - startMs) / 1000;
  const toSec = (atMs - startMs) / 1000;
  const prices = referencePoints(keyframes).price;
  const priceAt = (t: number) => referenceInterpolate(prices, t);
  const open = priceAt(fromSec);
  const last = priceAt(toSec);
  let high = Math.max(open, last);
  let low = Math.min(open, last);
  for (const k of keyframes) {
    if (k.price === undefined || k.atSec <= fromSec || k.atSec >= toSec) continue;
    const price = priceAt(k.atSec);
    if (price > high) high = price;
    if (price < low) low = price;
  }
  return { open, high, low, last };
}

/** Keyframes in time order with runs of repeated times, each field set on about half of them after the first. */
function randomKeyframes(random: Random, count: number): Keyframe[] {
  const keyframes: Keyframe[] = [];
  let atSec = random.next() < 0.3 ? 0 : Math.floor(random.uniform(0, 5000));
  const maybe = (value: () => number) => (random.next() < 0.5 ? value() : undefined);
  const withPremium = random.next() < 0.7;
  const withRatio = random.next() < 0.7;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      const roll = random.next();
      // A third repeat the time before (a jump), some move by fractions of a second, the rest by up to a day.
      atSec += roll < 0.33 ? 0 : roll < 0.5 ? random.uniform(0, 1) : Math.floor(random.uniform(1, 86_400));
    }
    const first = i === 0;
    const draw = (min: number, max: number) =>
      first ? random.uniform(min, max) : maybe(() => random.uniform(min, max));
    const split = random.next() < 0.3;
    const keyframe: Keyframe = { atSec };
    const set = <K extends keyof Keyframe>(key: K, value: Keyframe[K] | undefined) => {
      if (value !== undefined) keyframe[key] = value;
    };
    set('price', draw(0.001, 150_000));
    set('fundingRate', draw(-0.01, 0.01));
    set('openInterestUsd', draw(0, 1e10));
    set('volume24hUsd', draw(0, 1e10));
    if (split) {
      set('bidDepth1PctUsd', first ? random.uniform(0, 1e8) : maybe(() => random.uniform(0, 1e8)));
      set('askDepth1PctUsd', first ? random.uniform(0, 1e8) : maybe(() => random.uniform(0, 1e8)));
    } else set('depth1PctUsd', draw(0, 1e8));
    if (withPremium)
      set(
        'premium',
        maybe(() => random.uniform(-0.1, 0.1)),
      );
    if (withRatio)
      set(
        'longShortRatio',
        maybe(() => random.uniform(0.2, 5)),
      );
    keyframes.push(keyframe);
  }
  return keyframes;
}

const START = '2025-01-01T00:00:00Z';
const START_MS = Date.parse(START);

function oneMarket(keyframes: Keyframe[]): VenueMarket {
  const input: ScenarioInput = {
    name: 'random',
    start: START,
    durationSec: 86_400,
    venues: { bybit: { markets: [{ base: 'BTC', keyframes }] } },
  };
  const market = buildModel(parseScenario(input)).venues.get('bybit')?.markets[0];
  if (market === undefined) throw new Error('no market built');
  return market;
}

/** Times to ask: every knot, just around each, between neighbours, before the first and after the last. */
function probeTimes(random: Random, keyframes: readonly Keyframe[]): number[] {
  const times = new Set<number>();
  const first = keyframes[0]?.atSec ?? 0;
  const last = keyframes[keyframes.length - 1]?.atSec ?? 0;
  for (const t of [first - 86_400, first - 1, first - 1e-9, last + 1e-9, last + 1, last + 3 * 86_400, -1e12, 1e12]) {
    times.add(t);
  }
  keyframes.forEach((k, i) => {
    times.add(k.atSec);
    times.add(k.atSec - 1e-6);
    times.add(k.atSec + 1e-6);
    const next = keyframes[i + 1];
    if (next !== undefined) times.add(k.atSec + (next.atSec - k.atSec) * random.next());
  });
  for (let i = 0; i < 50; i++) times.add(random.uniform(first - 3600, last + 3600));
  return [...times];
}

describe('the mock market model', () => {
  it('gives exactly the state a scan over the keyframes gives, on random keyframes with repeated times', () => {
    const random = createRandom(20_251_010);
    const mismatches: string[] = [];
    for (let round = 0; round < 200; round++) {
      const keyframes = randomKeyframes(random, 1 + Math.floor(random.uniform(0, 40)));
      const market = oneMarket(keyframes);
      const points = referencePoints(keyframes);
      for (const t of probeTimes(random, keyframes)) {
        if (!isDeepStrictEqual(market.stateAt(t), referenceStateOf(points, t)))
          mismatches.push(`round ${round}, t ${t}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('gives exactly the 24 h open, high, low and last a scan over the price knots gives', () => {
    const random = createRandom(19_052_021);
    const mismatches: string[] = [];
    for (let round = 0; round < 200; round++) {
      const keyframes = randomKeyframes(random, 1 + Math.floor(random.uniform(0, 60)));
      const market = oneMarket(keyframes);
      for (const t of probeTimes(random, keyframes)) {
        // Windows ending on a knot, a day after one (starting on it), and in between.
        for (const toSec of [t, t + 86_400]) {
          const atMs = START_MS + toSec * 1000;
          if (!isDeepStrictEqual(dayStats(market, START_MS, atMs), referenceDayStats(keyframes, START_MS, atMs))) {
            mismatches.push(`round ${round}, to ${toSec}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('gives the same 24 h figures on two days of per-minute knots as the scan does', () => {
    const random = createRandom(7);
    const keyframes: Keyframe[] = [];
    let price = 100;
    for (let minute = 0; minute <= 2 * 1440; minute++) {
      price *= 1 + 0.002 * (2 * random.next() - 1);
      keyframes.push({
        atSec: minute * 60,
        price,
        fundingRate: 0.0001,
        openInterestUsd: 1e9,
        volume24hUsd: 2e9,
        depth1PctUsd: 1e7,
      });
    }
    const market = oneMarket(keyframes);
    for (let toSec = 0; toSec <= 2 * 86_400 + 600; toSec += 4507) {
      const atMs = START_MS + toSec * 1000;
      expect(dayStats(market, START_MS, atMs)).toStrictEqual(referenceDayStats(keyframes, START_MS, atMs));
    }
  });

  const bundled = readdirSync('scenarios').filter((f) => f.endsWith('.json'));
  it.each(bundled)('answers as the scan does on every market of scenarios/%s', async (file) => {
    const scenario: Scenario = await loadScenario(`scenarios/${file}`);
    const model = buildModel(scenario);
    const mismatches: string[] = [];
    for (const [venue, venueModel] of model.venues) {
      for (const spec of scenario.venues[venue]?.markets ?? []) {
        const market = venueModel.markets.find((m) => m.base === spec.base && m.settle === spec.settle && m.linear);
        if (market === undefined) {
          mismatches.push(`${venue} ${spec.base}: not built`);
          continue;
        }
        const points = referencePoints(spec.keyframes);
        // Every knot, and a few hundred times between: a scan per probe is slow on the long generated scenarios.
        const strideSec = Math.max(7, Math.floor(scenario.durationSec / 300));
        const probes = spec.keyframes.map((k) => k.atSec);
        for (let t = -600; t <= scenario.durationSec + 600; t += strideSec) probes.push(t);
        for (const t of probes) {
          if (!isDeepStrictEqual(market.stateAt(t), referenceStateOf(points, t))) {
            mismatches.push(`${venue} ${spec.base} state at ${t}`);
          }
        }
        const dayStrideSec = Math.max(601, Math.floor((scenario.durationSec + 86_400) / 12));
        for (let t = 0; t <= scenario.durationSec + 86_400; t += dayStrideSec) {
          const atMs = model.startMs + t * 1000;
          const want = referenceDayStats(spec.keyframes, model.startMs, atMs);
          if (!isDeepStrictEqual(dayStats(market, model.startMs, atMs), want)) {
            mismatches.push(`${venue} ${spec.base} 24 h at ${t}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

// Deadlines of a spiral's expected hits, from the scenario's own timeline (never from what the bot says):
// on a venue that streams liquidations, critical by the market's largest scripted liquidation minute and warning five
// minutes before it; on a venue without a stream (Hyperliquid), the scripted forced-selling peak: the coin's largest
// liquidation minute summed over the streamed venues, or, for a coin liquidated on none (a Hyperliquid-only crash),
// the minute where its price moves fastest in the direction of the forced flow (falls for a long cascade, rises for a
// short squeeze). The test recomputes these from each file, so they cannot drift from the liquidations.
import type { ExchangeId } from '../../src/domain/market.js';
import { buildModel, type ScenarioModel, type VenueMarket } from '../../src/mock-exchange/model.js';
import type { ExpectedHit, Scenario } from '../../src/mock-exchange/scenario.js';

export const WARNING_LEAD_SEC = 300;

/** Venues whose public liquidation stream the mock serves (by default). */
const STREAMING: ReadonlySet<ExchangeId> = new Set(['binanceusdm', 'bybit', 'okx']);

function linearMarket(model: ScenarioModel, venue: ExchangeId, base: string): VenueMarket {
  const market = model.venues.get(venue)?.markets.find((m) => m.base === base && m.linear);
  if (market === undefined) throw new Error(`${base} is not listed on ${venue}`);
  return market;
}

/** The market's largest liquidation minute (offset of the minute's start) and its USD; null without liquidations. */
export function largestMinute(model: ScenarioModel, market: VenueMarket): { minuteSec: number; usd: number } | null {
  const perMinute = new Map<number, number>();
  for (const event of market.liquidations) {
    const minuteSec = Math.floor((event.at - model.startMs) / 60_000) * 60;
    perMinute.set(minuteSec, (perMinute.get(minuteSec) ?? 0) + event.sizeUsd);
  }
  let best: { minuteSec: number; usd: number } | null = null;
  for (const [minuteSec, usd] of [...perMinute].sort((a, b) => a[0] - b[0])) {
    if (best === null || usd > best.usd) best = { minuteSec, usd };
  }
  return best;
}

/** The minute (offset of its start) of the largest one-minute price change in this direction. */
export function steepestMinute(model: ScenarioModel, market: VenueMarket, direction: 'down' | 'up'): number {
  let best = 0;
  let bestMove = -Infinity;
  for (let t = 0; t + 60 <= model.durationSec; t += 60) {
    const move = market.stateAt(t + 60).price / market.stateAt(t).price - 1;
    const signed = direction === 'down' ? -move : move;
    if (signed > bestMove + 1e-12) {
      bestMove = signed;
      best = t;
    }
  }
  return best;
}

/**
 * Which way the forced flow of a coin goes: down when its scripted long liquidations (on every venue) outweigh the
 * short ones, up when the shorts do; without any, the direction of its largest one-minute move on this market.
 */
export function forcedDirection(model: ScenarioModel, base: string, market: VenueMarket): 'down' | 'up' {
  let long = 0;
  let short = 0;
  for (const venue of model.venues.values()) {
    for (const event of venue.liquidations) {
      if (event.market.base !== base) continue;
      if (event.side === 'long') long += event.sizeUsd;
      else short += event.sizeUsd;
    }
  }
  if (long !== short) return long > short ? 'down' : 'up';
  const down = steepestMinute(model, market, 'down');
  const up = steepestMinute(model, market, 'up');
  const fall = 1 - market.stateAt(down + 60).price / market.stateAt(down).price;
  const rise = market.stateAt(up + 60).price / market.stateAt(up).price - 1;
  return fall >= rise ? 'down' : 'up';
}

/** A coin's largest liquidation minute summed over every venue that streams liquidations; null without any. */
export function coinLargestMinute(scenario: Scenario, model: ScenarioModel, base: string): number | null {
  const perMinute = new Map<number, number>();
  for (const [venue, venueModel] of model.venues) {
    if (!streams(scenario, venue)) continue;
    for (const event of venueModel.liquidations) {
      if (event.market.base !== base || !event.market.linear) continue;
      const minuteSec = Math.floor((event.at - model.startMs) / 60_000) * 60;
      perMinute.set(minuteSec, (perMinute.get(minuteSec) ?? 0) + event.sizeUsd);
    }
  }
  let best: { minuteSec: number; usd: number } | null = null;
  for (const [minuteSec, usd] of [...perMinute].sort((a, b) => a[0] - b[0])) {
    if (best === null || usd > best.usd) best = { minuteSec, usd };
  }
  return best?.minuteSec ?? null;
}

function streams(scenario: Scenario, venue: ExchangeId): boolean {
  return STREAMING.has(venue) || scenario.venues[venue]?.liquidationSampling !== undefined;
}

/**
 * The critical deadline of one coin on one venue: the market's own largest liquidation minute where the venue
 * streams liquidations; elsewhere the scripted forced-flow peak, i.e. the coin's largest liquidation minute over the
 * streamed venues; for a coin liquidated nowhere, the minute its price moves fastest in the direction of the flow.
 */
export function criticalSec(scenario: Scenario, model: ScenarioModel, base: string, venue: ExchangeId): number {
  const market = linearMarket(model, venue, base);
  const own = streams(scenario, venue) ? largestMinute(model, market) : null;
  if (own !== null) return own.minuteSec;
  const elsewhere = coinLargestMinute(scenario, model, base);
  if (elsewhere !== null) return elsewhere;
  return steepestMinute(model, market, forcedDirection(model, base, market));
}

/**
 * The expect hits for these coins and venues: one hit per coin and deadline (venues whose deadlines coincide share
 * a hit, in the order given).
 */
export function computeHits(
  scenario: Scenario,
  targets: readonly { base: string; venues: readonly ExchangeId[] }[],
  model: ScenarioModel = buildModel(scenario),
): ExpectedHit[] {
  const hits: ExpectedHit[] = [];
  for (const target of targets) {
    const groups = new Map<number, ExchangeId[]>();
    for (const venue of target.venues) {
      const critical = criticalSec(scenario, model, target.base, venue);
      const group = groups.get(critical) ?? [];
      group.push(venue);
      groups.set(critical, group);
    }
    for (const [critical, venues] of groups) {
      hits.push({
        base: target.base,
        venues,
        warningBySec: Math.max(0, critical - WARNING_LEAD_SEC),
        criticalBySec: critical,
      });
    }
  }
  return hits;
}

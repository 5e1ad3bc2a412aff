// The alert rules: which readings turn into alerts, for whom. Pure: the caller passes the readings of one
// cycle, the subscriptions, the last alert each destination got per market, and `now`.
//
// - An alert fires when a market's level rises (to elevated or above).
// - The same level again to the same destination is held back for the cooldown; a higher level than the last
//   alert (escalation) always goes out.
// - A market that was critical and falls back to calm or elevated sends "all clear" to those alerted critical.
// - When at least `digestThreshold` markets rise in one cycle, each destination gets one market-wide digest
//   instead of many single alerts.
// - Subscriptions select destinations: markets (base or key), minimum level, regimes.
import { ALERT_LEVELS, type Subscription } from '../domain/ports.js';
import { renderAlert, renderAllClear, renderDigest } from './render.js';
import {
  DEFAULT_ALERT_RULES,
  MARKET_WIDE,
  type Alert,
  type AlertLevel,
  type AlertRulesOptions,
  type LastAlert,
  type MarketReading,
} from './types.js';

export function levelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level);
}

export function destinationOf(subscription: Subscription): string {
  return `${subscription.chat.platform}:${subscription.chat.id}`;
}

/** The base of a market key: `binanceusdm:BTC/USDT:USDT` → `BTC`. */
export function marketBase(market: string): string {
  const symbol = market.includes(':') ? market.slice(market.indexOf(':') + 1) : market;
  return symbol.split('/')[0]?.toUpperCase() ?? symbol;
}

/** Whether a subscription's market and regime filters select this reading (the level is checked apart). */
export function selects(subscription: Subscription, reading: Pick<MarketReading, 'market' | 'regime'>): boolean {
  if (subscription.paused) return false;
  if (subscription.regimes !== null && !subscription.regimes.includes(reading.regime)) return false;
  if (subscription.markets === null || reading.market === MARKET_WIDE) return true;
  const base = marketBase(reading.market);
  return subscription.markets.some((filter) => filter === reading.market || filter.toUpperCase() === base);
}

type Verdict = { send: false } | { send: true; kind: 'rise' | 'escalation' };

/** Whether a rising reading goes to one destination, given the last alert it got for the market. */
function verdict(reading: MarketReading, last: LastAlert | undefined, now: number, cooldownMs: number): Verdict {
  if (!last) return { send: true, kind: 'rise' };
  if (levelRank(reading.level) > levelRank(last.level)) return { send: true, kind: 'escalation' };
  // The same level (or a lower one after a dip) within the cooldown is a repeat.
  if (now - last.at < cooldownMs) return { send: false };
  return { send: true, kind: 'rise' };
}

function isRise(reading: MarketReading): boolean {
  return (
    levelRank(reading.level) > levelRank(reading.previousLevel) && levelRank(reading.level) >= levelRank('elevated')
  );
}

function isAllClear(reading: MarketReading): boolean {
  return reading.previousLevel === 'critical' && (reading.level === 'calm' || reading.level === 'elevated');
}

export interface AlertInput {
  readings: readonly MarketReading[];
  subscriptions: readonly Subscription[];
  lastAlerts: readonly LastAlert[];
  /** Epoch ms of the cycle; part of each alert's id. */
  now: number;
  options?: Partial<AlertRulesOptions>;
}

export function decideAlerts(input: AlertInput): Alert[] {
  const options = { ...DEFAULT_ALERT_RULES, ...input.options };
  const { now } = input;
  const last = new Map(input.lastAlerts.map((a) => [`${a.destination}|${a.market}`, a]));
  const lastFor = (s: Subscription, market: string): LastAlert | undefined => last.get(`${destinationOf(s)}|${market}`);
  const alerts: Alert[] = [];

  // Rises: per destination, the readings it should hear about.
  const rising = input.readings.filter(isRise);
  const perDestination = new Map<Subscription, { reading: MarketReading; kind: 'rise' | 'escalation' }[]>();
  for (const reading of rising) {
    for (const s of input.subscriptions) {
      if (!selects(s, reading) || levelRank(reading.level) < levelRank(s.minLevel)) continue;
      const v = verdict(reading, lastFor(s, reading.market), now, options.cooldownMs);
      if (!v.send) continue;
      const list = perDestination.get(s) ?? [];
      list.push({ reading, kind: v.kind });
      perDestination.set(s, list);
    }
  }
  const digestMode = rising.length >= options.digestThreshold;
  // Group destinations by what they get, so one alert (one id, one reply) serves many chats.
  const groups = new Map<
    string,
    { items: { reading: MarketReading; kind: 'rise' | 'escalation' }[]; destinations: Subscription[] }
  >();
  for (const [s, items] of perDestination) {
    const single = !digestMode || items.length === 1;
    const entries = single ? items.map((i) => [i]) : [items];
    for (const entry of entries) {
      const key = entry.map((i) => `${i.kind}:${i.reading.market}`).join(',');
      const group = groups.get(key) ?? { items: entry, destinations: [] };
      group.destinations.push(s);
      groups.set(key, group);
    }
  }
  for (const group of groups.values()) {
    const [first] = group.items;
    if (!first) continue;
    if (group.items.length === 1) {
      const { reading, kind } = first;
      alerts.push({
        id: `${kind}:${reading.market}:${reading.level}:${now}`,
        kind,
        market: reading.market,
        level: reading.level,
        reply: renderAlert(reading, kind),
        destinations: group.destinations,
        markets: [{ market: reading.market, level: reading.level }],
      });
      continue;
    }
    const readings = group.items
      .map((i) => i.reading)
      .sort((a, b) => levelRank(b.level) - levelRank(a.level) || b.score - a.score);
    const top = readings[0]?.level ?? 'elevated';
    const markets = readings.map((r) => ({ market: r.market, level: r.level }));
    alerts.push({
      id: `digest:${markets.map((m) => m.market).join(',')}:${now}`,
      kind: 'digest',
      market: MARKET_WIDE,
      level: top,
      reply: renderDigest(readings),
      destinations: group.destinations,
      markets,
    });
  }

  // All clear: to the destinations whose last alert for the market was critical.
  for (const reading of input.readings.filter(isAllClear)) {
    const destinations = input.subscriptions.filter(
      (s) => selects(s, reading) && lastFor(s, reading.market)?.level === 'critical',
    );
    if (destinations.length === 0) continue;
    alerts.push({
      id: `allClear:${reading.market}:${reading.level}:${now}`,
      kind: 'allClear',
      market: reading.market,
      level: reading.level,
      reply: renderAllClear(reading),
      destinations,
      markets: [{ market: reading.market, level: reading.level }],
    });
  }
  return alerts;
}

/** The last-alert records an alert leaves behind, to feed the next cycle. */
export function lastAlertsAfter(alert: Alert, now: number): LastAlert[] {
  return alert.destinations.flatMap((s) =>
    alert.markets.map(({ market, level }) => ({ destination: destinationOf(s), market, level, at: now })),
  );
}

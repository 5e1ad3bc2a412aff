// The alert rules: which readings turn into alerts, for whom. Pure: the caller passes the readings of one
// cycle, the subscriptions, the last alert each destination got per coin, and `now`.
//
// A channel hears about a coin, not about each of its venues: the markets of one coin (across venues, whatever
// bundle prefix each writes: `coinOfBase`) make one alert, and the cooldown is kept per destination and coin.
// - An alert fires when a market of the coin rises to a level the subscription wants; it names every market of
//   the coin the subscription selects at its minimum level or above.
// - The same level again (another venue catching up, or a dip and back) is held back until the coin has been
//   below it for the cooldown, and for the cooldown after the last alert; a higher level than the last alert
//   (escalation) always goes out.
// - A coin alerted critical whose markets have all been below warning for `allClearAfterMs` sends "all clear" to
//   those alerted. Missing data is no all clear: while a market of the coin (or, for the whole market, a venue or
//   every market) has no fresh data, and until its data has been back for `allClearAfterMs`, none is sent.
// - When at least `digestThreshold` coins rise in one cycle, each destination gets one market-wide digest
//   instead of one alert per coin.
// - The whole market's reading (MARKET_WIDE) is a coin of its own, never in a digest.
// - A subscription to every market hears the large coins (`majorShareOfOpenInterest`, 1% of the watched open
//   interest) at every level, and a smaller coin only when it turns critical, at most once per `smallCoinCooldownMs` and without an all clear:
//   on a normal day a few small alts squeeze 20-40% on their own, and a channel would otherwise hear three
//   messages for each. Naming a coin in the subscription hears it at every level.
// - Subscriptions select destinations: markets (base or key), minimum level, regimes.
import { coinOfBase } from '../domain/coin.js';
import { ALERT_LEVELS, type Subscription } from '../domain/ports.js';
import { renderAllClear, renderCoinAlert, renderDigest } from './render.js';
import {
  DEFAULT_ALERT_RULES,
  MARKET_WIDE,
  type Alert,
  type AlertCoin,
  type AlertLevel,
  type AlertMarket,
  type AlertRulesOptions,
  type CoinLevelsSeen,
  type CoinSeen,
  type LastAlert,
  type MarketReading,
} from './types.js';

export function levelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level);
}

export function destinationOf(subscription: Subscription): string {
  return `${subscription.chat.platform}:${subscription.chat.id}`;
}

/**
 * The base of a market key as written: `binanceusdm:1000PEPE/USDT:USDT` → `1000PEPE`. Not capitalised: the case
 * is what tells Hyperliquid's kPEPE from a coin whose name starts with K.
 */
export function marketBase(market: string): string {
  const symbol = market.includes(':') ? market.slice(market.indexOf(':') + 1) : market;
  return symbol.split('/')[0] ?? symbol;
}

/**
 * The coin a market's alerts are grouped under: the coin its base names across venues (`1000PEPE` and `PEPE` are
 * PEPE, `KSM` stays KSM), or `market-wide` for the whole market.
 */
export function coinOf(market: AlertMarket): AlertCoin {
  return market === MARKET_WIDE ? MARKET_WIDE : coinOfBase(marketBase(market)).coin;
}

const COIN_PREFIX = 'coin:';

/** The key a coin's last alert is stored under (LastAlert.market): `coin:BTC`, or `market-wide`. */
export function coinKey(coin: AlertCoin): string {
  return coin === MARKET_WIDE ? MARKET_WIDE : `${COIN_PREFIX}${coin}`;
}

/** The coin of a stored last alert; a plain market key is one written before alerts were grouped by coin. */
function recordCoin(market: string): AlertCoin {
  return market.startsWith(COIN_PREFIX) ? coinOfBase(market.slice(COIN_PREFIX.length)).coin : coinOf(market);
}

/** Whether a subscription's market filter selects this market (pausing aside, regimes not considered). */
function selectsMarket(subscription: Subscription, market: AlertMarket): boolean {
  if (subscription.paused) return false;
  if (subscription.markets === null || market === MARKET_WIDE) return true;
  const coin = coinOf(market);
  return subscription.markets.some((filter) => filter === market || coinOfBase(filter.toUpperCase()).coin === coin);
}

/** Whether a subscription's market and regime filters select this reading (the level is checked apart). */
export function selects(subscription: Subscription, reading: Pick<MarketReading, 'market' | 'regime'>): boolean {
  if (subscription.regimes !== null && !subscription.regimes.includes(reading.regime)) return false;
  return selectsMarket(subscription, reading.market);
}

/** Highest level first, then highest score: the first is the market whose reasons an alert gives. */
function strongestFirst(a: MarketReading, b: MarketReading): number {
  return levelRank(b.level) - levelRank(a.level) || b.score - a.score || a.market.localeCompare(b.market);
}

type Verdict = { send: false } | { send: true; kind: 'rise' | 'escalation' };

/**
 * Whether a coin that rose to `level` goes to one destination, given the last alert it got for the coin and when
 * the coin last stood at that level before this cycle (`seenAt`).
 */
function verdict(
  level: AlertLevel,
  last: LastAlert | undefined,
  seenAt: number | undefined,
  now: number,
  cooldownMs: number,
): Verdict {
  if (!last) return { send: true, kind: 'rise' };
  const recent = now - last.at < cooldownMs;
  // "Escalated" only reads right next to the alert it escalates; long after, it is news of its own.
  if (levelRank(level) > levelRank(last.level)) return { send: true, kind: recent ? 'escalation' : 'rise' };
  // The same level (another venue, or a lower one after a dip) within the cooldown is a repeat, and so is one
  // the coin left only minutes ago: it is news again after a cooldown below it.
  if (recent || (seenAt !== undefined && now - seenAt < cooldownMs)) return { send: false };
  return { send: true, kind: 'rise' };
}

/** The coin's highest level this cycle over all its markets. */
function highestLevels(readings: readonly MarketReading[]): Map<AlertCoin, AlertLevel> {
  const highest = new Map<AlertCoin, AlertLevel>();
  for (const r of readings) {
    const coin = coinOf(r.market);
    const seen = highest.get(coin);
    if (seen === undefined || levelRank(r.level) > levelRank(seen)) highest.set(coin, r.level);
  }
  return highest;
}

/**
 * `seen` after a cycle: each coin's levels up to its highest now are stamped with `now`, and so is `missing` for
 * each coin with a market in `missing` (as AlertInput.missing).
 */
export function rememberLevels(
  seen: CoinLevelsSeen,
  readings: readonly MarketReading[],
  now: number,
  missing: readonly AlertMarket[] = [],
): Map<AlertCoin, CoinSeen> {
  const next = new Map<AlertCoin, CoinSeen>([...seen].map(([coin, levels]) => [coin, { ...levels }]));
  for (const [coin, level] of highestLevels(readings)) {
    const levels = next.get(coin) ?? {};
    for (const at of ALERT_LEVELS.slice(0, levelRank(level) + 1)) levels[at] = now;
    next.set(coin, levels);
  }
  for (const market of missing) {
    const coin = coinOf(market);
    next.set(coin, { ...next.get(coin), missing: now });
  }
  return next;
}

function isRise(reading: MarketReading): boolean {
  return (
    levelRank(reading.level) > levelRank(reading.previousLevel) && levelRank(reading.level) >= levelRank('elevated')
  );
}

/**
 * The last alert per destination and coin. Records of one alert share their time, so the latest time is the
 * latest alert, and its highest level is what the destination was last told.
 */
function lastPerCoin(records: readonly LastAlert[]): Map<string, LastAlert> {
  const latest = new Map<string, LastAlert>();
  for (const record of records) {
    const key = `${record.destination}|${recordCoin(record.market)}`;
    const seen = latest.get(key);
    if (!seen || record.at > seen.at || (record.at === seen.at && levelRank(record.level) > levelRank(seen.level))) {
      latest.set(key, record);
    }
  }
  return latest;
}

/**
 * The coins a subscription to every market hears at every level: those holding at least `share` of the open
 * interest of all coins. A coin whose size is unknown on every venue is counted in: missing data never silences
 * an alert.
 */
export function majorCoinsOf(readings: readonly MarketReading[], share: number): Set<AlertCoin> {
  const sizes = new Map<AlertCoin, number | null>();
  for (const r of readings) {
    if (r.market === MARKET_WIDE) continue;
    const coin = coinOf(r.market);
    const known = sizes.get(coin) ?? null;
    sizes.set(coin, r.openInterestUsd === null ? known : (known ?? 0) + r.openInterestUsd);
  }
  let total = 0;
  for (const usd of sizes.values()) total += usd ?? 0;
  return new Set([...sizes].filter(([, usd]) => usd === null || usd >= share * total).map(([coin]) => coin));
}

export interface AlertInput {
  readings: readonly MarketReading[];
  subscriptions: readonly Subscription[];
  lastAlerts: readonly LastAlert[];
  /** Epoch ms of the cycle; part of each alert's id. */
  now: number;
  /** When each coin last stood at each level, before this cycle (`rememberLevels`); empty after a restart. */
  seen?: CoinLevelsSeen;
  /**
   * Markets whose data is missing this cycle (no fresh snapshot, their venue down), and `market-wide` when the
   * whole market's reading is incomplete or empty. Their coins get no all clear; a reading of theirs, if any is
   * passed, is not taken for calm.
   */
  missing?: readonly AlertMarket[];
  options?: Partial<AlertRulesOptions>;
}

/** What one destination hears about one coin in this cycle: the markets named, strongest first. */
interface CoinNews {
  kind: 'rise' | 'escalation';
  coin: AlertCoin;
  strongest: MarketReading;
  readings: MarketReading[];
}

const marketsOf = (readings: readonly MarketReading[]) => readings.map((r) => ({ market: r.market, level: r.level }));
const contentKey = (readings: readonly MarketReading[]) => readings.map((r) => `${r.market}=${r.level}`).join(',');

/** Where an alert goes in the cycle's list: digests, then one alert per coin, then the all clears. */
const SECTIONS = { digest: 0, coin: 1, allClear: 2 } as const;

export function decideAlerts(input: AlertInput): Alert[] {
  const options = { ...DEFAULT_ALERT_RULES, ...input.options };
  const { now } = input;
  const last = lastPerCoin(input.lastAlerts);
  const lastFor = (s: Subscription, coin: AlertCoin): LastAlert | undefined => last.get(`${destinationOf(s)}|${coin}`);
  const seenAt = (coin: AlertCoin, level: AlertLevel | 'missing'): number | undefined => input.seen?.get(coin)?.[level];
  const missing = input.missing ?? [];
  /** Whether the data this subscription hears of a coin is missing now. */
  const missingNow = (s: Subscription, coin: AlertCoin): boolean =>
    missing.some((m) => coinOf(m) === coin && selectsMarket(s, m));

  // Coins in the order of their first reading: the cycle lists the highest score first.
  const byCoin = new Map<AlertCoin, MarketReading[]>();
  for (const reading of input.readings) {
    const coin = coinOf(reading.market);
    byCoin.set(coin, [...(byCoin.get(coin) ?? []), reading]);
  }
  const coinOrder = [...byCoin.keys()];
  const risingCoins = new Set(
    input.readings.filter((r) => r.market !== MARKET_WIDE && isRise(r)).map((r) => coinOf(r.market)),
  );
  const digestMode = risingCoins.size >= options.digestThreshold;
  const majors = majorCoinsOf(input.readings, options.majorShareOfOpenInterest);
  /** Whether this subscription hears this coin only at critical: a small coin, to a subscription of everything. */
  const criticalOnly = (s: Subscription, coin: AlertCoin): boolean =>
    s.markets === null && coin !== MARKET_WIDE && !majors.has(coin);

  // Destinations that get the same thing share one alert (one id, one reply).
  interface Group {
    section: number;
    coinIndex: number;
    make: () => Omit<Alert, 'destinations'>;
    destinations: Subscription[];
  }
  const groups = new Map<string, Group>();
  const join = (key: string, place: Omit<Group, 'destinations'>, s: Subscription): void => {
    const group = groups.get(key) ?? { ...place, destinations: [] };
    group.destinations.push(s);
    groups.set(key, group);
  };

  for (const s of input.subscriptions) {
    if (s.paused) continue;
    const cleared = new Set<AlertCoin>();
    for (const [coin, readings] of byCoin) {
      // Regimes are not asked: whoever heard "critical" hears the all clear, whatever the regime is now.
      if (lastFor(s, coin)?.level !== 'critical' || criticalOnly(s, coin)) continue;
      const mine = readings.filter((r) => selectsMarket(s, r.market)).sort(strongestFirst);
      const [strongest] = mine;
      if (!strongest || levelRank(strongest.level) >= levelRank('warning')) continue;
      const lastWarning = seenAt(coin, 'warning');
      if (lastWarning !== undefined && now - lastWarning < options.allClearAfterMs) continue;
      if (missingNow(s, coin)) continue;
      const lastMissing = seenAt(coin, 'missing');
      if (lastMissing !== undefined && now - lastMissing < options.allClearAfterMs) continue;
      cleared.add(coin);
      const make = (): Omit<Alert, 'destinations'> => ({
        id: `allClear:${coinKey(coin)}:${strongest.level}:${now}`,
        kind: 'allClear',
        market: strongest.market,
        level: strongest.level,
        reply: renderAllClear(coin, mine),
        markets: marketsOf(mine),
        coins: [{ coin, level: strongest.level }],
      });
      join(
        `allClear|${coin}|${contentKey(mine)}`,
        { section: SECTIONS.allClear, coinIndex: coinOrder.indexOf(coin), make },
        s,
      );
    }

    const news: CoinNews[] = [];
    for (const [coin, readings] of byCoin) {
      if (cleared.has(coin)) continue;
      const named = readings
        .filter((r) => selects(s, r) && levelRank(r.level) >= levelRank(s.minLevel))
        .sort(strongestFirst);
      const [strongest] = named;
      const [highestRise] = named.filter(isRise);
      if (!strongest || !highestRise) continue;
      const small = criticalOnly(s, coin);
      if (small && highestRise.level !== 'critical') continue;
      const cooldownMs = small ? options.smallCoinCooldownMs : options.cooldownMs;
      const v = verdict(highestRise.level, lastFor(s, coin), seenAt(coin, highestRise.level), now, cooldownMs);
      if (v.send) news.push({ kind: v.kind, coin, strongest, readings: named });
    }

    const coins = news.filter((n) => n.coin !== MARKET_WIDE);
    const digested =
      digestMode && coins.length > 1 ? coins.sort((a, b) => strongestFirst(a.strongest, b.strongest)) : [];
    if (digested.length > 0) {
      const make = (): Omit<Alert, 'destinations'> => ({
        id: `digest:${digested.map((n) => n.coin).join(',')}:${now}`,
        kind: 'digest',
        market: MARKET_WIDE,
        level: digested[0]?.strongest.level ?? 'calm',
        reply: renderDigest(digested),
        markets: marketsOf(digested.flatMap((n) => n.readings)),
        coins: digested.map((n) => ({ coin: n.coin, level: n.strongest.level })),
      });
      const key = digested.map((n) => `${n.kind}|${n.coin}|${contentKey(n.readings)}`).join(';');
      join(`digest|${key}`, { section: SECTIONS.digest, coinIndex: 0, make }, s);
    }
    for (const n of news) {
      if (digested.includes(n)) continue;
      const { level } = n.strongest;
      const make = (): Omit<Alert, 'destinations'> => ({
        id: `${n.kind}:${coinKey(n.coin)}:${level}:${now}`,
        kind: n.kind,
        market: n.strongest.market,
        level,
        reply: renderCoinAlert(n.coin, n.readings, n.kind),
        markets: marketsOf(n.readings),
        coins: [{ coin: n.coin, level }],
      });
      const key = `${n.kind}|${n.coin}|${contentKey(n.readings)}`;
      join(key, { section: SECTIONS.coin, coinIndex: coinOrder.indexOf(n.coin), make }, s);
    }
  }

  return [...groups.values()]
    .map((group, index) => ({ group, index }))
    .sort((a, b) => a.group.section - b.group.section || a.group.coinIndex - b.group.coinIndex || a.index - b.index)
    .map(({ group }) => ({ ...group.make(), destinations: group.destinations }));
}

/** The last-alert records an alert leaves behind, to feed the next cycle: one per destination and coin. */
export function lastAlertsAfter(alert: Alert, now: number): LastAlert[] {
  return alert.destinations.flatMap((s) =>
    alert.coins.map(({ coin, level }) => ({ destination: destinationOf(s), market: coinKey(coin), level, at: now })),
  );
}

// What the alert rules read and produce. Pure data: no I/O, no platform.
import type { AlertLevel, MarketRegime, Subscription } from '../domain/ports.js';
import type { Reply } from '../commands/reply.js';

export type { AlertLevel, MarketRegime } from '../domain/ports.js';

/** The market key (`binanceusdm:BTC/USDT:USDT`) or the whole market's reading. */
export type AlertMarket = string;
export const MARKET_WIDE = 'market-wide';

/**
 * What alerts are grouped and cooled down by: a market's coin (its base, `BTC`), or `market-wide` for the whole
 * market's reading, which is never grouped with a coin.
 */
export type AlertCoin = string;

/** One market's reading in one cycle, as the risk engine hands it over. */
export interface MarketReading {
  market: AlertMarket;
  level: AlertLevel;
  previousLevel: AlertLevel;
  regime: MarketRegime;
  score: number;
  /**
   * The strongest reasons, most important first, as sentences a trader reads; each says one thing (the regime
   * is the `regime` word, not a reason repeating its signals).
   */
  reasons: readonly string[];
  /** The cascade estimate in one line, e.g. "a 3% drop would liquidate about $420M of longs", or null. */
  cascade: string | null;
  /** The market's open interest in USD now, or null when unknown: what says how large its coin is. */
  openInterestUsd: number | null;
}

/**
 * The last alert a destination got for a coin. `market` is the cooldown key: `coin:BTC` for a coin (see
 * `coinKey`), `market-wide` for the whole market. A market key (`binanceusdm:BTC/USDT:USDT`, as written before
 * alerts were grouped by coin) still counts for its coin.
 */
export interface LastAlert {
  /** `platform:chatId`. */
  destination: string;
  market: AlertMarket;
  level: AlertLevel;
  at: number;
}

export interface AlertRulesOptions {
  /** A repeat of the same level of a coin to the same destination is held back this long. Default 1 h. */
  cooldownMs: number;
  /** This many coins turning up in one cycle become one market-wide digest. Default 5. */
  digestThreshold: number;
  /**
   * A subscription to every market hears a coin holding at least this share of the watched open interest (0.01 =
   * 1%) at every level; a smaller coin only when it turns critical, once per `smallCoinCooldownMs`, with no all
   * clear. A subscription naming a coin hears it at every level, whatever its size. Default 0.01: about a dozen
   * coins on the real venues, the ones whose moves move the market.
   */
  majorShareOfOpenInterest: number;
  /** How long a small coin's critical alert to a subscription of every market is not repeated. Default 6 h. */
  smallCoinCooldownMs: number;
  /**
   * A coin alerted critical gets its all clear once all its markets have been below warning this long, with their
   * data present all that time: an all clear taken back minutes later misleads more than one that comes late, and
   * silence from a venue that went down is no all clear. Default 30 min.
   */
  allClearAfterMs: number;
}

/**
 * Per coin, the last cycle (epoch ms) at which any of its markets stood at each level or above: what tells a coin
 * back at a level after a dip from one that was quiet for a while; and under `missing`, the last cycle at which
 * the data of one of its markets was missing: its all clear waits for data that has been back and calm a while.
 * Kept by the caller across cycles.
 */
export type CoinSeen = Partial<Record<AlertLevel | 'missing', number>>;
export type CoinLevelsSeen = ReadonlyMap<AlertCoin, Readonly<CoinSeen>>;

export const DEFAULT_ALERT_RULES: AlertRulesOptions = {
  cooldownMs: 60 * 60_000,
  digestThreshold: 5,
  majorShareOfOpenInterest: 0.01,
  smallCoinCooldownMs: 6 * 60 * 60_000,
  allClearAfterMs: 30 * 60_000,
};

export type AlertKind = 'rise' | 'escalation' | 'allClear' | 'digest';

/** One alert to send: one reply, the destinations it goes to, and a stable id for idempotency. */
export interface Alert {
  /** Stable across re-runs of the same cycle: kind, coin, level and the cycle time. */
  id: string;
  kind: AlertKind;
  /** The strongest market it names (its reasons are that market's), or `market-wide` for a digest. */
  market: AlertMarket;
  level: AlertLevel;
  reply: Reply;
  destinations: readonly Subscription[];
  /** The markets it names with their levels, strongest first. */
  markets: readonly { market: AlertMarket; level: AlertLevel }[];
  /** The coins it covers with the level each was alerted at: what the cooldown is kept by. */
  coins: readonly { coin: AlertCoin; level: AlertLevel }[];
}

// What the alert rules read and produce. Pure data: no I/O, no platform.
import type { AlertLevel, MarketRegime, Subscription } from '../domain/ports.js';
import type { Reply } from '../commands/reply.js';

export type { AlertLevel, MarketRegime } from '../domain/ports.js';

/** The market key (`binanceusdm:BTC/USDT:USDT`) or the whole market's reading. */
export type AlertMarket = string;
export const MARKET_WIDE = 'market-wide';

/** One market's reading in one cycle, as the risk engine hands it over. */
export interface MarketReading {
  market: AlertMarket;
  level: AlertLevel;
  previousLevel: AlertLevel;
  regime: MarketRegime;
  score: number;
  /** The strongest reasons, most important first, as sentences a trader reads. */
  reasons: readonly string[];
  /** The cascade estimate in one line, e.g. "a 3% drop would liquidate about $420M of longs", or null. */
  cascade: string | null;
}

/** The last alert a destination got for a market. */
export interface LastAlert {
  /** `platform:chatId`. */
  destination: string;
  market: AlertMarket;
  level: AlertLevel;
  at: number;
}

export interface AlertRulesOptions {
  /** A repeat of the same level to the same destination is held back this long. Default 1 h. */
  cooldownMs: number;
  /** This many markets turning up in one cycle become one market-wide digest. Default 5. */
  digestThreshold: number;
}

export const DEFAULT_ALERT_RULES: AlertRulesOptions = { cooldownMs: 60 * 60_000, digestThreshold: 5 };

export type AlertKind = 'rise' | 'escalation' | 'allClear' | 'digest';

/** One alert to send: one reply, the destinations it goes to, and a stable id for idempotency. */
export interface Alert {
  /** Stable across re-runs of the same cycle: kind, market, level and the cycle time. */
  id: string;
  kind: AlertKind;
  /** The market, or `market-wide` for a digest. */
  market: AlertMarket;
  level: AlertLevel;
  reply: Reply;
  destinations: readonly Subscription[];
  /** The markets it covers with their levels (one for single alerts, several for a digest). */
  markets: readonly { market: AlertMarket; level: AlertLevel }[];
}

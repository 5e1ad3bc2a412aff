// Instruments a venue lists beside its tradable perpetuals: a perpetual being delisted or not yet open, a dated
// (quarterly) future, a delisted coin. Real listings always hold some, so the mock adds them to every scenario's
// instrument lists (not to `venueMarkets`, and never with liquidations): a client that watches them, or chokes on
// their shape, shows up in every test. Names that a scenario already uses are skipped.
import type { ExchangeId } from '../domain/market.js';
import type { VenueMarket } from './model.js';

export type NonTradingKind =
  /** Binance `SETTLING`: a perpetual in its delisting settlement. */
  | 'settling'
  /** Binance `PENDING_TRADING`: announced, opens later. */
  | 'pendingTrading'
  /** Bybit `PreLaunch`: pre-market, listed only on the `status=PreLaunch` page. */
  | 'preLaunch'
  /** Bybit `Delivering`: a dated future in its delivery (listed only when asked for that status). */
  | 'delivering'
  /** Bybit `Closed`: delisted (listed only when asked for that status). */
  | 'closed'
  /** OKX `preopen`: listed, opens later. */
  | 'preopen'
  /** OKX `suspend`: trading halted. */
  | 'suspend'
  /** OKX's broken `preopen` entries that carry no instId (ccxt skips them). */
  | 'placeholder'
  /** A dated linear future that trades (Binance CURRENT_QUARTER, Bybit LinearFutures, OKX FUTURES). */
  | 'quarterly'
  /** Hyperliquid `isDelisted: true`. */
  | 'delisted';

export interface NonTradingListing {
  venue: ExchangeId;
  kind: NonTradingKind;
  /** The venue's id ("" for OKX's placeholder). */
  id: string;
  base: string;
  quote: 'USDT' | 'USDC';
  settle: 'USDT' | 'USDC';
  /** Epoch ms the instrument was (or will be) listed. */
  listedAt: number;
  /** Delivery or delisting time, epoch ms; null when none is set. */
  expiresAt: number | null;
  /** The perpetual a dated future follows (its prices, 0.2% above); null for the others. */
  twin: VenueMarket | null;
  /** A price for filters and the few quotes the venue sends for it (the twin's price, else 0.25). */
  refPrice: number;
  tickSize: number;
  qtyStep: number;
  maxLeverage: number;
}

/** A dated future trades a little above its perpetual (contango). */
export const QUARTERLY_BASIS = 0.002;

const DAY_MS = 86_400_000;
/** Delisted on many venues in 2024 (merged into FET); a scenario is unlikely to list it. */
const DELISTED_BASE = 'AGIX';
/** Made up: a coin announced but not yet open. */
const LAUNCHING_BASE = 'LAUNCH';
/** Hyperliquid still lists it, delisted (renamed POL elsewhere). */
const HYPERLIQUID_DELISTED_BASE = 'MATIC';

/** The last Friday of the quarter, 08:00 UTC, after `afterMs`: when quarterly futures settle. */
export function quarterlyExpiry(afterMs: number): number {
  const date = new Date(afterMs);
  let year = date.getUTCFullYear();
  let lastMonth = Math.floor(date.getUTCMonth() / 3) * 3 + 2;
  for (;;) {
    const lastDay = new Date(Date.UTC(year, lastMonth + 1, 0, 8));
    const expiry = lastDay.getTime() - ((lastDay.getUTCDay() + 2) % 7) * DAY_MS;
    if (expiry > afterMs) return expiry;
    lastMonth += 3;
    if (lastMonth > 11) {
      lastMonth -= 12;
      year += 1;
    }
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const two = (n: number) => String(n).padStart(2, '0');
/** 260327 (Binance, OKX). */
export function yymmdd(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
}
/** 27MAR26 (Bybit). */
export function ddMmmYy(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}${MONTHS[d.getUTCMonth()] ?? ''}${two(d.getUTCFullYear() % 100)}`;
}

/** The non-trading instruments of a venue whose scenario markets are `markets`. */
export function nonTradingListings(
  venue: ExchangeId,
  markets: readonly VenueMarket[],
  startMs: number,
): NonTradingListing[] {
  const taken = new Set(markets.map((m) => m.base.toUpperCase()));
  const twin = markets.find((m) => m.linear && m.settle === 'USDT') ?? null;
  const out: NonTradingListing[] = [];
  const add = (
    kind: NonTradingKind,
    base: string,
    id: string,
    extra: { expiresAt?: number | null; listedAt?: number; twin?: VenueMarket | null } = {},
  ) => {
    if (taken.has(base) && kind !== 'quarterly' && kind !== 'delivering') return;
    const follows = extra.twin ?? null;
    const settle = venue === 'hyperliquid' ? 'USDC' : 'USDT';
    out.push({
      venue,
      kind,
      id,
      base,
      quote: settle,
      settle,
      listedAt: extra.listedAt ?? startMs - 200 * DAY_MS,
      expiresAt: extra.expiresAt ?? null,
      twin: follows,
      refPrice: follows === null ? 0.25 : follows.stateAt(0).price * (1 + QUARTERLY_BASIS),
      tickSize: follows?.tickSize ?? 0.0001,
      qtyStep: follows === null ? 1 : venue === 'okx' ? 1 : follows.qtyStep,
      maxLeverage: follows === null ? 20 : Math.min(follows.maxLeverage, 50),
    });
  };
  const quarterly = quarterlyExpiry(startMs + DAY_MS);
  const opensAt = startMs + 2 * DAY_MS;
  switch (venue) {
    case 'binanceusdm':
      add('settling', DELISTED_BASE, `${DELISTED_BASE}USDT`, { expiresAt: startMs - 3 * DAY_MS });
      add('pendingTrading', LAUNCHING_BASE, `${LAUNCHING_BASE}USDT`, { listedAt: opensAt });
      if (twin !== null) {
        add('quarterly', twin.base, `${twin.base}USDT_${yymmdd(quarterly)}`, { expiresAt: quarterly, twin });
      }
      break;
    case 'bybit':
      add('preLaunch', LAUNCHING_BASE, `${LAUNCHING_BASE}USDT`, { listedAt: opensAt });
      add('closed', DELISTED_BASE, `${DELISTED_BASE}USDT`, { expiresAt: startMs - 3 * DAY_MS });
      if (twin !== null) {
        add('quarterly', twin.base, `${twin.base}USDT-${ddMmmYy(quarterly)}`, { expiresAt: quarterly, twin });
        // The previous quarter's contract, settling at the scenario's start.
        const settling = Math.floor(startMs / 3_600_000) * 3_600_000;
        add('delivering', twin.base, `${twin.base}USDT-${ddMmmYy(settling)}`, { expiresAt: settling, twin });
      }
      break;
    case 'okx':
      add('preopen', LAUNCHING_BASE, `${LAUNCHING_BASE}-USDT-SWAP`, { listedAt: opensAt });
      add('suspend', DELISTED_BASE, `${DELISTED_BASE}-USDT-SWAP`);
      add('placeholder', '', '');
      if (twin !== null) {
        add('quarterly', twin.base, `${twin.base}-USDT-${yymmdd(quarterly)}`, { expiresAt: quarterly, twin });
      }
      break;
    case 'hyperliquid':
      add('delisted', HYPERLIQUID_DELISTED_BASE, HYPERLIQUID_DELISTED_BASE);
      break;
  }
  return out;
}

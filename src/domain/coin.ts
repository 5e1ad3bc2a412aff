// Which coin a venue's base names. Venues quote small-priced coins in bundles and write the bundle into the base
// (Binance and Bybit `1000PEPE`, `1MBABYDOGE`, `10000SATS`, Bybit `SHIB1000`, Hyperliquid `kPEPE`); OKX writes the
// coin (`PEPE`) and puts the bundle into the contract size instead. Comparing coins across venues goes through here,
// so that a bundle prefix is removed and nothing else is: `KAVA`, `KSM` and `KAS` are coins, not bundles of AVA,
// SM and AS.
import type { MarketInfo } from './market.js';

export interface VenueCoin {
  /** The coin the base denotes, in capitals: `PEPE` for `1000PEPE` and `kPEPE`. */
  coin: string;
  /** Coins in one unit of the venue's base: 1000 for `1000PEPE`, 1 for `PEPE`. */
  coinsPerBaseUnit: number;
}

// A power of ten from a thousand up (Binance 1000000MOG; a little beyond a million in case a venue lists one), or
// `1M`, then a letter: such a run of digits never starts a coin's own name (1INCH has none).
const NUMERIC_PREFIX = /^(10{3,8}|1M)(?=[A-Z])/;
// Bybit writes a few bundles after the coin (SHIB1000).
const THOUSAND_SUFFIX = /^([A-Z][A-Z0-9]*[A-Z])1000$/;
// Hyperliquid's thousand-bundles (kPEPE, kSHIB): a lowercase k before the capital letters of the coin. An
// uppercase K is always part of the name.
const HYPERLIQUID_THOUSAND = /^k(?=[A-Z])/;

/**
 * The coin a venue's base names and how many coins one base unit is. Give the base as the venue writes it: only
 * the case tells Hyperliquid's `kPEPE` (a thousand PEPE) from a coin whose name starts with K.
 */
export function coinOfBase(base: string): VenueCoin {
  const text = base.trim();
  if (HYPERLIQUID_THOUSAND.test(text)) return { coin: text.slice(1).toUpperCase(), coinsPerBaseUnit: 1000 };
  const upper = text.toUpperCase();
  const prefix = NUMERIC_PREFIX.exec(upper)?.[1];
  if (prefix !== undefined) {
    const coinsPerBaseUnit = prefix === '1M' ? 1_000_000 : Number(prefix);
    return { coin: upper.slice(prefix.length), coinsPerBaseUnit };
  }
  const suffixed = THOUSAND_SUFFIX.exec(upper)?.[1];
  if (suffixed !== undefined) return { coin: suffixed, coinsPerBaseUnit: 1000 };
  return { coin: upper, coinsPerBaseUnit: 1 };
}

export interface MarketCoin extends VenueCoin {
  /** Coins in one contract: the bundle times the market's contract size (OKX's ctVal, 1 on most venues). */
  coinsPerContract: number;
}

/**
 * The coin of a market. ccxt capitalises the unified base (Hyperliquid's `kPEPE` arrives as `KPEPE`), but the
 * venue's own id keeps the case where it is the base itself (Hyperliquid names a perpetual by its coin), so the
 * id is read when it spells the base.
 */
export function coinOfMarket(market: Pick<MarketInfo, 'base' | 'venueId' | 'contractSize'>): MarketCoin {
  const written = market.venueId.toUpperCase() === market.base.toUpperCase() ? market.venueId : market.base;
  const coin = coinOfBase(written);
  return { ...coin, coinsPerContract: coin.coinsPerBaseUnit * market.contractSize };
}

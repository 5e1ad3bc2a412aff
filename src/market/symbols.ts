// The optional SYMBOLS list: entries like `BTC`, `BTCUSDT` or `BTC/USDT:USDT`, matched case-insensitively.
import type { MarketInfo } from '../domain/market.js';
import type { VenueMarket } from './types.js';

/** A predicate for SYMBOLS; every market passes when the list is empty. */
export function symbolFilter(entries: readonly string[]): (market: MarketInfo) => boolean {
  const wanted = new Set(entries.map((entry) => entry.trim().toUpperCase()).filter((entry) => entry.length > 0));
  if (wanted.size === 0) return () => true;
  return (market) => {
    const base = market.base.toUpperCase();
    const quote = market.quote.toUpperCase();
    const names = [
      base,
      market.symbol.toUpperCase(),
      market.venueId.toUpperCase(),
      `${base}${quote}`,
      `${base}/${quote}`,
      `${base}-${quote}`,
    ];
    return names.some((name) => wanted.has(name));
  };
}

/** The domain's MarketInfo of one of our markets (what the store keeps). */
export function marketInfoOf(market: VenueMarket): MarketInfo {
  return {
    exchange: market.exchange,
    symbol: market.symbol,
    venueId: market.venueId,
    base: market.base,
    quote: market.quote,
    settle: market.settle,
    contractSize: market.contractSize,
  };
}

// Resolves what a user types for a market (BTC, btcusdt, BTC-PERP, BTC-USDT-SWAP, BTC/USDT:USDT) to the
// watched markets it names, across venues.
import { coinOfBase, coinOfMarket } from '../domain/coin.js';
import type { MarketInfo, Snapshot } from '../domain/market.js';
import type { OptionSpec } from './command.js';
import { userError } from './errors.js';
import type { Reply } from './reply.js';

export type SymbolResolution =
  { kind: 'found'; markets: readonly MarketInfo[] } | { kind: 'miss'; query: string; suggestions: readonly string[] };

const QUOTES = ['USDT', 'USDC', 'USD'] as const;
const DECORATIONS = /(\.P|-PERP|PERP|-SWAP|SWAP)$/;

/** Splits a typed market into base and, when given, quote. */
export function parseMarketQuery(query: string): { base: string; quote: string | null } {
  const text = query.trim().toUpperCase();
  // The unified form: BASE/QUOTE[:SETTLE]
  const unified = /^([A-Z0-9]+)\/([A-Z0-9]+)(?::[A-Z0-9]+)?$/.exec(text);
  if (unified) return { base: unified[1] ?? '', quote: unified[2] ?? null };
  const bare = text.replace(DECORATIONS, '').replace(/[-_/\s]/g, '');
  for (const quote of QUOTES) {
    if (bare.endsWith(quote) && bare.length > quote.length) return { base: bare.slice(0, -quote.length), quote };
  }
  return { base: bare, quote: null };
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/**
 * The coins a typed base names: its own coin, and the coin of any market listed under exactly that base (typed
 * `kpepe` is Hyperliquid's kPEPE, whose case the typing lost).
 */
function typedCoins(base: string, markets: readonly MarketInfo[]): Set<string> {
  const coins = new Set([coinOfBase(base).coin]);
  for (const m of markets) if (m.base.toUpperCase() === base) coins.add(coinOfMarket(m).coin);
  return coins;
}

export function resolveSymbol(query: string, markets: readonly MarketInfo[]): SymbolResolution {
  const exact = markets.filter((m) => m.symbol.toUpperCase() === query.trim().toUpperCase());
  if (exact.length > 0) return { kind: 'found', markets: exact };
  const { base, quote } = parseMarketQuery(query);
  const wanted = base === '' ? new Set<string>() : typedCoins(base, markets);
  const sameCoin = markets.filter((m) => wanted.has(coinOfMarket(m).coin));
  const found = quote === null ? sameCoin : sameCoin.filter((m) => m.quote === quote);
  if (found.length > 0) return { kind: 'found', markets: found };
  const typedCoin = coinOfBase(base).coin;
  const bases = new Map<string, string>();
  for (const m of markets) bases.set(m.base, coinOfMarket(m).coin);
  const suggestions = [...bases]
    .map(([b, coin]) => ({ b, distance: editDistance(coin, typedCoin) }))
    .filter(({ b, distance }) => distance <= Math.max(1, Math.floor(b.length / 3)) || b.startsWith(base))
    .sort((x, y) => x.distance - y.distance || x.b.localeCompare(y.b))
    .slice(0, 5)
    .map(({ b }) => b);
  return { kind: 'miss', query, suggestions };
}

/** The `symbol` option every market command takes. */
export function symbolOption(required: boolean): OptionSpec {
  return {
    name: 'symbol',
    description: 'a market: BTC, ETHUSDT or BTC/USDT:USDT',
    type: 'string',
    required,
    maxLength: 40,
    autocomplete: 'symbol',
  };
}

/** Resolves a typed market, or gives the reply that names close matches. */
export function resolveOrReply(
  query: string,
  markets: readonly MarketInfo[],
): { ok: true; markets: readonly MarketInfo[] } | { ok: false; reply: Reply } {
  if (markets.length === 0) {
    return {
      ok: false,
      reply: userError('noData', { what: 'No market has been polled yet: the first poll has not finished.' }),
    };
  }
  const resolved = resolveSymbol(query, markets);
  if (resolved.kind === 'found') return { ok: true, markets: resolved.markets };
  return {
    ok: false,
    reply: userError('unknownSymbol', { symbol: query, suggestions: resolved.suggestions.join(', ') }),
  };
}

/** The reply for a market the bot knows but has no snapshot of yet. */
export function notPolledYet(query: string): Reply {
  return userError('noData', { what: `No snapshot of ${query} yet: the first poll has not finished.` });
}

/** Of the markets a query named, the one with the largest open interest now: the one a single-market reply shows. */
export function largestByOpenInterest(
  markets: readonly MarketInfo[],
  latest: readonly Snapshot[],
): { market: MarketInfo; snapshot: Snapshot } | undefined {
  const byKey = new Map(latest.map((s) => [`${s.exchange}:${s.symbol}`, s]));
  let best: { market: MarketInfo; snapshot: Snapshot } | undefined;
  for (const market of markets) {
    const snapshot = byKey.get(`${market.exchange}:${market.symbol}`);
    if (snapshot === undefined) continue;
    if (best === undefined || (snapshot.openInterestUsd ?? 0) > (best.snapshot.openInterestUsd ?? 0))
      best = { market, snapshot };
  }
  return best;
}

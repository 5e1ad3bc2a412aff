import { describe, expect, it } from 'vitest';
import type { ExchangeId, MarketInfo } from '../../src/domain/market.js';
import { parseMarketQuery, resolveSymbol } from '../../src/commands/symbols.js';

function market(exchange: ExchangeId, base: string, quote = 'USDT'): MarketInfo {
  return {
    exchange,
    symbol: `${base}/${quote}:${quote}`,
    venueId: `${base}${quote}`,
    base,
    quote,
    settle: quote,
    contractSize: 1,
  };
}

const markets = [
  market('binanceusdm', 'BTC'),
  market('bybit', 'BTC'),
  market('hyperliquid', 'BTC', 'USDC'),
  market('binanceusdm', 'ETH'),
  market('binanceusdm', '1000PEPE'),
  market('hyperliquid', 'kPEPE', 'USDC'),
  market('okx', 'SOL'),
];

describe('parseMarketQuery', () => {
  it.each([
    ['BTC', 'BTC', null],
    ['btcusdt', 'BTC', 'USDT'],
    ['BTC-PERP', 'BTC', null],
    ['BTC-USDT-SWAP', 'BTC', 'USDT'],
    ['BTCUSDT.P', 'BTC', 'USDT'],
    ['BTC/USDT:USDT', 'BTC', 'USDT'],
    ['eth_usdc', 'ETH', 'USDC'],
  ])('reads %s as base %s and quote %s', (query, base, quote) => {
    expect(parseMarketQuery(query)).toEqual({ base, quote });
  });
});

describe('resolveSymbol', () => {
  it('finds a base on every venue that lists it', () => {
    const result = resolveSymbol('btc', markets);
    expect(result.kind === 'found' && result.markets.map((m) => m.exchange)).toEqual([
      'binanceusdm',
      'bybit',
      'hyperliquid',
    ]);
  });

  it('narrows to the quote when one is typed', () => {
    const result = resolveSymbol('BTCUSDT', markets);
    expect(result.kind === 'found' && result.markets.map((m) => m.exchange)).toEqual(['binanceusdm', 'bybit']);
  });

  it('matches a unified symbol exactly', () => {
    const result = resolveSymbol('BTC/USDC:USDC', markets);
    expect(result.kind === 'found' && result.markets.map((m) => m.exchange)).toEqual(['hyperliquid']);
  });

  it('finds small-priced coins under their venue prefixes', () => {
    const result = resolveSymbol('PEPE', markets);
    expect(result.kind === 'found' && result.markets.map((m) => m.base)).toEqual(['1000PEPE', 'kPEPE']);
  });

  it('answers an unknown market with close matches', () => {
    expect(resolveSymbol('BTX', markets)).toEqual({ kind: 'miss', query: 'BTX', suggestions: ['BTC'] });
    expect(resolveSymbol('DOGE', markets)).toEqual({ kind: 'miss', query: 'DOGE', suggestions: [] });
  });
});

import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { marketCommand } from '../../src/commands/market.js';
import type { ExchangeId, MarketInfo } from '../../src/domain/market.js';
import { parseMarketQuery, resolveSymbol } from '../../src/commands/symbols.js';
import { BASE_TIME, buildSnapshot } from '../builders.js';
import { fakeGlossary } from './fakeGlossary.js';

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

describe('resolveSymbol across bundle prefixes', () => {
  // AS and SM stand for any coin whose name a K-coin ends with; AVA is listed.
  const kCoins = [
    market('binanceusdm', 'KAS'),
    market('hyperliquid', 'KAS', 'USDC'),
    market('bybit', 'AS'),
    market('binanceusdm', 'KSM'),
    market('okx', 'SM'),
    market('binanceusdm', 'KAVA'),
    market('bybit', 'AVA'),
  ];
  const bases = (query: string, within: readonly MarketInfo[] = kCoins) => {
    const result = resolveSymbol(query, within);
    return result.kind === 'found' ? result.markets.map((m) => `${m.exchange}:${m.base}`) : result;
  };

  it('finds KAS markets only when AS is listed too', () => {
    expect(bases('KAS')).toEqual(['binanceusdm:KAS', 'hyperliquid:KAS']);
    expect(bases('AS')).toEqual(['bybit:AS']);
  });

  it('keeps KSM and SM, KAVA and AVA apart', () => {
    expect(bases('ksm')).toEqual(['binanceusdm:KSM']);
    expect(bases('SM')).toEqual(['okx:SM']);
    expect(bases('KAVAUSDT')).toEqual(['binanceusdm:KAVA']);
    expect(bases('AVA')).toEqual(['bybit:AVA']);
  });

  it('suggests, and does not find, KAVA for AVA when only KAVA is listed', () => {
    expect(resolveSymbol('AVA', [market('binanceusdm', 'KAVA')])).toEqual({
      kind: 'miss',
      query: 'AVA',
      suggestions: ['KAVA'],
    });
  });

  // ccxt capitalises Hyperliquid's kPEPE to base KPEPE; the venue id keeps the coin's own name.
  const kPepe: MarketInfo = { ...market('hyperliquid', 'KPEPE', 'USDC'), venueId: 'kPEPE' };
  const pepes = [market('binanceusdm', '1000PEPE'), market('okx', 'PEPE'), kPepe, market('bybit', 'KPEPE')];

  it("finds Hyperliquid's kPEPE as ccxt lists it among the PEPE markets, and not a coin named KPEPE", () => {
    expect(bases('PEPE', pepes)).toEqual(['binanceusdm:1000PEPE', 'okx:PEPE', 'hyperliquid:KPEPE']);
  });

  it('finds every PEPE market when kPEPE is typed, whatever its case', () => {
    expect(bases('kPEPE', pepes.slice(0, 3))).toEqual(['binanceusdm:1000PEPE', 'okx:PEPE', 'hyperliquid:KPEPE']);
    expect(bases('1000pepe', pepes.slice(0, 3))).toEqual(['binanceusdm:1000PEPE', 'okx:PEPE', 'hyperliquid:KPEPE']);
  });

  it('finds SATS under 1000SATS and 10000SATS, and BABYDOGE under 1MBABYDOGE and 1000000BABYDOGE', () => {
    const listed = [
      market('binanceusdm', '1000SATS'),
      market('bybit', '10000SATS'),
      market('binanceusdm', '1MBABYDOGE'),
      market('bybit', '1000000BABYDOGE'),
    ];
    expect(bases('SATS', listed)).toEqual(['binanceusdm:1000SATS', 'bybit:10000SATS']);
    expect(bases('BABYDOGE', listed)).toEqual(['binanceusdm:1MBABYDOGE', 'bybit:1000000BABYDOGE']);
  });
});

describe('market across bundle prefixes', () => {
  it('shows KAS on every venue, and not AS, when both are listed', async () => {
    const listed = [market('binanceusdm', 'KAS'), market('bybit', 'KAS'), market('bybit', 'AS')];
    const snapshots = listed.map((m) => buildSnapshot({ exchange: m.exchange, symbol: m.symbol, markPrice: 0.07 }));
    const context: CommandContext = {
      services: {
        glossary: fakeGlossary([]),
        market: {
          markets: () => listed,
          latestSnapshots: () => snapshots,
          history: (exchange, symbol) => ({ exchange, symbol, snapshots: [], liquidationBuckets: [] }),
          liquidationBuckets: () => [],
        },
      },
      now: BASE_TIME,
      caller: { platform: 'cli', canManageSubscriptions: true },
      commands: [marketCommand],
    };
    const answer = await dispatch({ name: 'market', kind: 'words', words: ['KAS'] }, context, () => undefined);
    expect(answer.fields.map((f) => f.name)).toEqual(['binanceusdm KAS/USDT:USDT', 'bybit KAS/USDT:USDT']);
  });
});

import { describe, expect, it } from 'vitest';
import { coinOfBase, coinOfMarket } from '../../src/domain/coin.js';
import { LISTED_BASES } from '../fixtures/bases.js';

describe('coinOfBase', () => {
  it.each(['KAVA', 'KSM', 'KAS', 'KNC', 'KEY', 'KDA', 'KMNO', 'KAITO'])(
    'keeps %s a coin of its own: an uppercase K is part of the name',
    (base) => {
      expect(coinOfBase(base)).toEqual({ coin: base, coinsPerBaseUnit: 1 });
    },
  );

  it('reads Binance 1000PEPE, Hyperliquid kPEPE and OKX PEPE as the same coin, in bundles of 1000, 1000 and 1', () => {
    expect([coinOfBase('1000PEPE'), coinOfBase('kPEPE'), coinOfBase('PEPE')]).toEqual([
      { coin: 'PEPE', coinsPerBaseUnit: 1000 },
      { coin: 'PEPE', coinsPerBaseUnit: 1000 },
      { coin: 'PEPE', coinsPerBaseUnit: 1 },
    ]);
  });

  it.each([
    ['1000SATS', 'SATS', 1000],
    ['10000SATS', 'SATS', 10_000],
    ['100000X', 'X', 100_000],
    ['1000000MOG', 'MOG', 1_000_000],
    ['1MBABYDOGE', 'BABYDOGE', 1_000_000],
    ['SHIB1000', 'SHIB', 1000],
  ])('reads the bundle %s as %s times %d', (base, coin, coinsPerBaseUnit) => {
    expect(coinOfBase(base)).toEqual({ coin, coinsPerBaseUnit });
  });

  it('reads a lowercase k as a bundle only before a capital letter', () => {
    expect(coinOfBase('kava').coin).toBe('KAVA');
    expect(coinOfBase('k1000').coin).toBe('K1000');
  });

  it('leaves digits that are not a bundle of a thousand or more in the name', () => {
    expect(coinOfBase('1INCH')).toEqual({ coin: '1INCH', coinsPerBaseUnit: 1 });
    expect(coinOfBase('LUNA2')).toEqual({ coin: 'LUNA2', coinsPerBaseUnit: 1 });
    expect(coinOfBase('1000')).toEqual({ coin: '1000', coinsPerBaseUnit: 1 });
  });

  it('gives every base of a real listing the coin it truly is', () => {
    const wrong = LISTED_BASES.filter(
      (l) =>
        JSON.stringify(coinOfBase(l.base)) !== JSON.stringify({ coin: l.coin, coinsPerBaseUnit: l.coinsPerBaseUnit }),
    );
    expect(wrong).toEqual([]);
  });

  it('merges no two distinct coins of a real listing, and every venue form of one coin', () => {
    const groupsBy = (coinOf: (l: (typeof LISTED_BASES)[number]) => string): string[][] => {
      const groups = new Map<string, Set<string>>();
      for (const l of LISTED_BASES) groups.set(coinOf(l), (groups.get(coinOf(l)) ?? new Set()).add(l.base));
      return [...groups.values()].map((bases) => [...bases].sort()).sort((a, b) => a.join().localeCompare(b.join()));
    };
    expect(LISTED_BASES.length).toBeGreaterThanOrEqual(150);
    expect(groupsBy((l) => coinOfBase(l.base).coin)).toEqual(groupsBy((l) => l.coin));
  });
});

describe('coinOfMarket', () => {
  it("reads Hyperliquid's kPEPE from its venue id, as ccxt capitalises the unified base to KPEPE", () => {
    const market = { base: 'KPEPE', venueId: 'kPEPE', contractSize: 1 };
    expect(coinOfMarket(market)).toEqual({ coin: 'PEPE', coinsPerBaseUnit: 1000, coinsPerContract: 1000 });
  });

  it('keeps a Hyperliquid coin named with a K a coin of its own', () => {
    expect(coinOfMarket({ base: 'KAITO', venueId: 'KAITO', contractSize: 1 }).coin).toBe('KAITO');
  });

  it('reads the base when the venue id is another spelling of the market', () => {
    expect(coinOfMarket({ base: '1000PEPE', venueId: '1000PEPEUSDT', contractSize: 1 }).coin).toBe('PEPE');
    expect(coinOfMarket({ base: 'KSM', venueId: 'KSM-USDT-SWAP', contractSize: 0.1 }).coin).toBe('KSM');
  });

  it("counts coins per contract as the bundle times the contract size (OKX's ctVal)", () => {
    expect(coinOfMarket({ base: 'PEPE', venueId: 'PEPE-USDT-SWAP', contractSize: 10_000_000 })).toEqual({
      coin: 'PEPE',
      coinsPerBaseUnit: 1,
      coinsPerContract: 10_000_000,
    });
  });
});

// Every command that reads market data says when there is none and why, instead of a reading made of nothing.
import { describe, expect, it } from 'vitest';
import type { CommandContext, Services } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { commands } from '../../src/commands/index.js';
import type { Reply } from '../../src/commands/reply.js';
import type { MarketHistory, MarketInfo, VenueHealth } from '../../src/domain/market.js';
import type { MarketDataReader } from '../../src/domain/ports.js';
import { runRiskCycle } from '../../src/risk/cycle.js';
import { buildMarketInfo, HOUR } from '../builders.js';
import { marketReader, NOW, readerOf } from '../marketReader.js';
import { fakeGlossary, glossaryEntry } from './fakeGlossary.js';

const glossary = fakeGlossary([glossaryEntry({ id: 'funding-rate', title: 'Funding rate', live: 'fundingRate' })]);

function run(words: string[], services: Partial<Services>, now = NOW): Promise<Reply> {
  const [name = '', ...rest] = words;
  const context: CommandContext = {
    services: { glossary, ...services },
    now,
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands,
  };
  return dispatch({ name, kind: 'words', words: rest }, context, (error) => {
    throw error;
  });
}

function venue(exchange: VenueHealth['exchange'], overrides: Partial<VenueHealth> = {}): VenueHealth {
  return {
    exchange,
    state: 'not polled',
    marketsWatched: 0,
    lastSuccessAt: null,
    consecutiveFailures: 0,
    lastError: null,
    liquidationStream: 'stopped',
    liquidationCoverage: 'sampled',
    lastLiquidationAt: null,
    ...overrides,
  };
}

const empty: MarketDataReader = readerOf([]);
const waiting = { venueHealth: () => [venue('binanceusdm'), venue('bybit')] };
const NOT_POLLED =
  'No market data yet: no venue has been polled since start-up (binanceusdm, bybit: waiting for the first poll).';

/** Two hours after the synthetic market's last poll, both venues failing. */
const LATER = NOW + 2 * HOUR;
const failing = {
  venueHealth: () => [
    venue('binanceusdm', {
      state: 'degraded',
      marketsWatched: 2,
      lastSuccessAt: NOW,
      consecutiveFailures: 40,
      lastError: 'RequestTimeout after 10000 ms\n    at Exchange.fetch (node_modules/ccxt/js/src/base/Exchange.js:1)',
    }),
    venue('bybit', {
      state: 'disabled',
      consecutiveFailures: 3,
      lastError: 'RateLimitExceeded: 429 Too Many Requests',
    }),
  ],
};
const ALL_FAILING =
  'No market data: every venue is failing (binanceusdm: RequestTimeout after 10000 ms; bybit: disabled, RateLimitExceeded: 429 Too Many Requests).';

function expectNoData(answer: Reply, text: string): void {
  expect(answer.error?.id).toBe('noData');
  expect(answer.level).not.toBe('calm');
  expect(answer.body).toBe(text);
}

describe('commands with no market data', () => {
  describe('before the first poll', () => {
    const services = { market: empty, health: waiting };

    it('risk says no venue has been polled yet, not "0/100 (calm)"', async () => {
      const answer = await run(['risk'], services);
      expectNoData(answer, NOT_POLLED);
      expect(answer.title).not.toContain('calm');
    });

    it('risk of one market says the same', async () => {
      expectNoData(await run(['risk', 'BTC'], services), NOT_POLLED);
    });

    it('market says no venue has been polled yet', async () => {
      expectNoData(await run(['market', 'BTC'], services), NOT_POLLED);
    });

    it('cascade says no venue has been polled yet', async () => {
      expectNoData(await run(['cascade', 'BTC'], services), NOT_POLLED);
    });

    it('status says there is no market data yet, as a warning rather than a healthy report', async () => {
      const answer = await run(['status'], services);
      expect(answer.body).toBe(`0 of 2 venue(s) healthy.\n\n${NOT_POLLED}`);
      expect(answer.level).toBe('warning');
    });

    it("term's live line says there are no figures yet and why", async () => {
      const answer = await run(['term', 'funding', 'rate'], services);
      expect(answer.fields).toEqual([{ name: 'Now', value: NOT_POLLED }]);
    });
  });

  describe('when every venue is down', () => {
    const services = { market: marketReader, health: failing };

    it('risk names each failing venue with its error, without a stack trace', async () => {
      const answer = await run(['risk'], services, LATER);
      expectNoData(answer, ALL_FAILING);
      expect(answer.body).not.toContain('node_modules');
    });

    it('risk of one market says its data is missing rather than scoring it calm', async () => {
      expectNoData(await run(['risk', 'BTC'], services, LATER), ALL_FAILING);
    });

    it('market says every venue is failing', async () => {
      expectNoData(await run(['market', 'BTC'], services, LATER), ALL_FAILING);
    });

    it('cascade says every venue is failing', async () => {
      expectNoData(await run(['cascade', 'BTC'], services, LATER), ALL_FAILING);
    });

    it('status adds that there is no market data', async () => {
      const answer = await run(['status'], services, LATER);
      expect(answer.body).toBe(`0 of 2 venue(s) healthy.\n\n${ALL_FAILING}`);
      expect(answer.level).toBe('critical');
    });

    it("term's live line quotes no stale figures", async () => {
      const answer = await run(['term', 'funding', 'rate'], services, LATER);
      expect(answer.fields).toEqual([{ name: 'Now', value: ALL_FAILING }]);
    });

    it('without venue health, say how old the newest snapshot is', async () => {
      expectNoData(
        await run(['risk'], { market: marketReader }, LATER),
        'No market data: the newest snapshot is 2 h old.',
      );
    });
  });

  describe('when one venue is down and another is fresh', () => {
    const btc = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' });
    const ethBybit = buildMarketInfo({ exchange: 'bybit', symbol: 'ETH/USDT:USDT', base: 'ETH' });
    const eth = marketReader.history('binanceusdm', 'ETH/USDT:USDT', 0);
    const staleEth: MarketHistory = {
      ...eth,
      exchange: 'bybit',
      snapshots: eth.snapshots.map((s) => ({ ...s, exchange: 'bybit', at: s.at - 2 * HOUR })),
      liquidationBuckets: [],
    };
    const btcHistory = marketReader.history('binanceusdm', 'BTC/USDT:USDT', 0);
    const staleBtc: MarketHistory = {
      ...btcHistory,
      exchange: 'bybit',
      snapshots: btcHistory.snapshots.map((s) => ({ ...s, exchange: 'bybit', at: s.at - 2 * HOUR })),
      liquidationBuckets: [],
    };
    const entries: [MarketInfo, MarketHistory][] = [
      [btc, btcHistory],
      [buildMarketInfo({ exchange: 'bybit', symbol: 'BTC/USDT:USDT' }), staleBtc],
      [ethBybit, staleEth],
    ];
    const health = {
      venueHealth: () => [
        venue('binanceusdm', { state: 'ok', marketsWatched: 1, lastSuccessAt: NOW - 20_000 }),
        venue('bybit', {
          state: 'degraded',
          lastSuccessAt: NOW - 2 * HOUR,
          consecutiveFailures: 12,
          lastError: 'NetworkError: ECONNRESET',
        }),
      ],
    };
    const services = { market: readerOf(entries), health };
    const ETH_MISSING = 'No fresh data for ETH: every venue is failing (bybit: NetworkError: ECONNRESET).';

    it('risk of the quiet venue’s market says its data is missing', async () => {
      expectNoData(await run(['risk', 'ETH'], services), ETH_MISSING);
    });

    it('market of the quiet venue’s market says its data is missing', async () => {
      expectNoData(await run(['market', 'ETH'], services), ETH_MISSING);
    });

    it('cascade of the quiet venue’s market says its data is missing', async () => {
      expectNoData(await run(['cascade', 'ETH'], services), ETH_MISSING);
    });

    it("market marks the quiet venue's figures of a coin as stale beside the fresh ones", async () => {
      const answer = await run(['market', 'BTC'], services);
      const byVenue = Object.fromEntries(answer.fields.map((f) => [f.name, f.value]));
      expect(byVenue['binanceusdm BTC/USDT:USDT']).toMatch(/updated \d+ s ago$/);
      expect(byVenue['bybit BTC/USDT:USDT']).toMatch(/updated 2 h ago \(stale: not counted in risk scores\)$/);
    });

    it('risk still answers for the whole market from the markets that have data', async () => {
      const answer = await run(['risk'], services);
      expect(answer.title).toMatch(/^Market-wide spiral risk: \d+\/100/);
      expect(answer.fields[0]?.name).toBe('Top markets by score (of 1)');
    });

    it('status says which venue gives no data', async () => {
      const answer = await run(['status'], services);
      expect(answer.body).toBe('1 of 2 venue(s) healthy.');
      expect(answer.fields[1]?.value).toContain('12 failure(s) in a row: NetworkError: ECONNRESET');
    });
  });

  it('risk answers from the store, not from a risk pass older than the data it may read (the loop stopped)', async () => {
    const stalePass = runRiskCycle({ histories: [], now: NOW - 2 * HOUR });
    const answer = await run(['risk'], { market: marketReader, risk: { latest: () => stalePass } });
    expect(answer.title).toMatch(/^Market-wide spiral risk: \d+\/100/);
    expect(answer.fields[0]?.name).toBe('Top markets by score (of 2)');
  });

  it('risk gives no market-wide 0/100 calm from a risk pass of zero markets', async () => {
    const emptyPass = runRiskCycle({ histories: [], now: NOW });
    const answer = await run(['risk'], { market: marketReader, risk: { latest: () => emptyPass } });
    expectNoData(answer, 'No market-wide reading yet: the risk engine has not scored a market with fresh data.');
  });

  it('risk gives no market-wide 0/100 calm when no market with data has a known open interest', async () => {
    const history = marketReader.history('binanceusdm', 'BTC/USDT:USDT', 0);
    const withoutOi: MarketHistory = {
      ...history,
      snapshots: history.snapshots.map((s) => ({ ...s, openInterestUsd: null, openInterestContracts: null })),
    };
    const btc = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' });
    const answer = await run(['risk'], { market: readerOf([[btc, withoutOi]]) });
    expectNoData(
      answer,
      'No market-wide reading: none of the 1 market(s) with fresh data has a known open interest, which weighs the score.',
    );
  });
});

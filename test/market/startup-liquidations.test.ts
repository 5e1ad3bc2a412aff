// Liquidations pushed before the first watch list exists: the all-market feeds (Binance, OKX) subscribe at start,
// before any fast cycle, so their first events must wait for the list instead of being thrown away. Runs the real
// ccxt.pro clients against the mock exchange, whose REST faults hold the first cycle back while its sockets push.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeId, Liquidation } from '../../src/domain/market.js';
import { silentLogger } from '../../src/log/logger.js';
import { LiquidationStreams } from '../../src/market/liquidations.js';
import type { StreamTuning } from '../../src/market/liquidations.js';
import type { VenueMarket } from '../../src/market/types.js';
import { okxAdapter } from '../../src/market/venues/okx.js';
import type { ScenarioInput } from '../../src/mock-exchange/server.js';
import { FakeSink } from './fakeSink.js';
import { fakeLiquidationSocket, requestsTo, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';
const MIN_OPEN_INTEREST_USD = 100_000_000;

/** BTC is watched; ETH sits below MIN_OPEN_INTEREST_USD. Both liquidate twice a second from the scenario's start. */
function scenario(venues: ExchangeId[]): ScenarioInput {
  const market = (base: string, price: number, openInterestUsd: number, extra: Record<string, unknown>) => ({
    base,
    keyframes: [{ atSec: 0, price, fundingRate: 0.0001, openInterestUsd, volume24hUsd: 5e9, depth1PctUsd: 2e7 }],
    liquidations: [
      { fromSec: 0, toSec: 300, side: 'long', perSecond: 2, sizeUsd: 10_000, sizeJitter: 0.5 },
      { fromSec: 0.25, toSec: 300, side: 'short', perSecond: 2, sizeUsd: 8_000, sizeJitter: 0.5 },
    ],
    ...extra,
  });
  const spec: Record<string, unknown> = {};
  for (const venue of venues) {
    const okx = venue === 'okx';
    spec[venue] = {
      markets: [
        market('BTC', 100_000, 5e9, okx ? { contractSize: 0.01 } : {}),
        market('ETH', 4_000, 1e6, okx ? { contractSize: 0.1 } : {}),
      ],
    };
  }
  return {
    name: 'startup-liquidations',
    start: '2025-10-08T12:00:00Z',
    durationSec: 600,
    venues: spec,
  } as ScenarioInput;
}

/** The request that answers the first fast cycle's prices: holding it back holds the first watch list back. */
const QUOTES_ROUTE: Record<'binanceusdm' | 'okx', string> = {
  binanceusdm: '/fapi/v1/premiumIndex',
  okx: '/api/v5/public/mark-price',
};

const HOLD_MS = 3_000;

async function startVenue(venue: ExchangeId): Promise<Harness> {
  const h = await startHarness({
    scenario: scenario([venue]),
    env: {
      EXCHANGES: venue,
      MIN_OPEN_INTEREST_USD: String(MIN_OPEN_INTEREST_USD),
      REQUEST_TIMEOUT_MS: '10000',
    },
    tuning: { streams: true, markPriceStream: false },
  });
  await h.service.start();
  return h;
}

/** Scenario time at which the held request was answered, i.e. no earlier than the first watch list. */
function answeredAt(h: Harness, venue: ExchangeId, route: string, holdMs: number): number {
  const first = requestsTo(h.mock, venue, route)[0];
  if (first === undefined) throw new Error(`no ${route} request reached the mock`);
  return first.scenarioAt + holdMs;
}

describe('liquidations pushed before the first watch list is built', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  for (const venue of ['binanceusdm', 'okx'] as const) {
    it(`keeps ${venue}'s liquidations that arrive while the first fast cycle is still running`, async () => {
      h = await startVenue(venue);
      h.mock.injectFault({ venue, kind: 'delay', delayMs: HOLD_MS, route: QUOTES_ROUTE[venue], count: 1 });
      const [report] = await h.service.pollOnce();
      expect(report?.ok).toBe(true);
      expect(h.service.watchedSymbols(venue)).toEqual([BTC]);
      const listBuiltAt = answeredAt(h, venue, QUOTES_ROUTE[venue], HOLD_MS);
      const early = h.sink.liquidationsOf(venue).filter((l) => l.at < listBuiltAt - 1_000);
      // One pushed per market per second while the cycle was held: at least the first seconds must be there.
      expect(early.length).toBeGreaterThanOrEqual(1);
      expect(early.every((l) => l.symbol === BTC)).toBe(true);
      expect(h.service.streamCounters(venue).saved).toBe(h.sink.liquidationsOf(venue).length);
    });
  }

  it("keeps binanceusdm's early liquidations through failed first cycles and saves them when one succeeds", async () => {
    const venue = 'binanceusdm';
    h = await startVenue(venue);
    const removeFault = h.mock.injectFault({ venue, kind: 'status', status: 503, route: QUOTES_ROUTE[venue] });
    const [failed] = await h.service.pollOnce();
    expect(failed?.ok).toBe(false);
    expect(h.service.watchedSymbols(venue)).toEqual([]);
    const firstPushAt = h.mock.scenarioTime();
    await waitFor(() => h!.mock.scenarioTime() > firstPushAt + 2_500, 5_000, 'liquidations during the outage');
    const [failedAgain] = await h.service.pollOnce();
    expect(failedAgain?.ok).toBe(false);
    expect(h.sink.liquidationsOf(venue)).toEqual([]);
    removeFault();
    const recoveredAt = h.mock.scenarioTime();
    const [ok] = await h.service.pollOnce();
    expect(ok?.ok).toBe(true);
    const early = h.sink.liquidationsOf(venue).filter((l) => l.at < recoveredAt - 1_000);
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(h.sink.liquidationsOf(venue).every((l) => l.symbol === BTC)).toBe(true);
    const keys = h.sink.offered.map((l) => `${l.symbol}|${l.at}|${l.side}|${l.price}|${l.sizeBase}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('still subscribes bybit per symbol once the watch list exists, and streams its liquidations', async () => {
    const venue = 'bybit';
    h = await startVenue(venue);
    await h.service.pollOnce();
    expect(h.service.watchedSymbols(venue)).toEqual([BTC]);
    const sink = h.sink;
    await waitFor(() => sink.liquidationsOf(venue).length >= 2, 8_000, 'bybit liquidations');
    expect(sink.liquidationsOf(venue).every((l) => l.symbol === BTC)).toBe(true);
    expect(h.service.venueHealth()[0]?.liquidationStream).toBe('streaming');
  });
});

describe('the start-up buffer of LiquidationStreams', () => {
  const markets: VenueMarket[] = [
    { base: 'BTC', venueId: 'BTC-USDT-SWAP', symbol: BTC, contractSize: 0.01 },
    { base: 'ETH', venueId: 'ETH-USDT-SWAP', symbol: ETH, contractSize: 0.1 },
  ].map((m) => ({ ...m, exchange: 'okx', quote: 'USDT', settle: 'USDT', fundingIntervalHours: null }));

  /** A ccxt.pro stand-in whose liquidation cache the test fills, waking the pending watch call as ccxt would. */
  function fakeVenue(tuning: Partial<StreamTuning> = {}) {
    const { exchange, deliver } = fakeLiquidationSocket();
    const sink = new FakeSink();
    let watched: string[] = [];
    const streams = new LiquidationStreams({
      venue: 'okx',
      exchange,
      feed: okxAdapter.liquidations!,
      markPrices: undefined,
      plainSockets: false,
      watchedSymbols: () => watched,
      marketById: (id) => markets.find((m) => m.venueId === id),
      sink,
      now: Date.now,
      monotonic: () => performance.now(),
      random: () => 0.5,
      log: silentLogger,
      tuning: { silenceMs: 60_000, reconnectBaseMs: 10, reconnectMaxMs: 10, recentKeys: 100, ...tuning },
      onRejections: () => undefined,
    });
    return {
      sink,
      streams,
      deliver,
      /** What the venue runner does after building a watch list. */
      watch(symbols: string[]) {
        watched = symbols;
        streams.syncSymbols();
      },
    };
  }

  const item = (instId: string, ts: number, sz: string) => ({
    info: { instId, details: [{ bkPx: '100000', posSide: 'long', side: 'sell', sz, ts: String(ts) }] },
  });
  const atOf = (ls: readonly Liquidation[]) => ls.map((l) => l.at);

  it('saves buffered events of watched markets as soon as the first watch list exists, and drops unwatched ones', async () => {
    const v = fakeVenue();
    v.streams.start();
    await v.deliver(item('BTC-USDT-SWAP', 1_000, '5'), item('ETH-USDT-SWAP', 1_500, '3'));
    await v.deliver(item('BTC-USDT-SWAP', 2_000, '7'));
    expect(v.sink.offered).toEqual([]);
    expect(v.streams.pendingAtStartup).toBe(3);
    v.watch([BTC]);
    expect(atOf(v.sink.offered)).toEqual([1_000, 2_000]);
    expect(v.streams.saved).toBe(2);
    expect(v.streams.pendingAtStartup).toBe(0);
    expect(v.streams.lastLiquidationAt).toBe(2_000);
    await v.deliver(item('BTC-USDT-SWAP', 3_000, '9'), item('ETH-USDT-SWAP', 3_500, '1'));
    await v.streams.stop();
    expect(atOf(v.sink.offered)).toEqual([1_000, 2_000, 3_000]);
    expect(v.streams.saved).toBe(3);
  });

  it('counts a replay of buffered events as duplicates once they are saved', async () => {
    const v = fakeVenue();
    v.streams.start();
    await v.deliver(item('BTC-USDT-SWAP', 1_000, '5'), item('BTC-USDT-SWAP', 2_000, '7'));
    // OKX replays its backlog on a new connection: new objects, same content, still before the watch list.
    await v.deliver(item('BTC-USDT-SWAP', 1_000, '5'));
    v.watch([BTC]);
    await v.deliver(item('BTC-USDT-SWAP', 2_000, '7'), item('BTC-USDT-SWAP', 3_000, '9'));
    await v.streams.stop();
    expect(atOf(v.sink.offered)).toEqual([1_000, 2_000, 3_000]);
    expect(v.streams.saved).toBe(3);
    expect(v.streams.duplicates).toBe(2);
  });

  it('keeps only the newest events when the buffer is full, and counts the ones it dropped', async () => {
    const v = fakeVenue({ startupBufferLimit: 3 });
    v.streams.start();
    await v.deliver(item('BTC-USDT-SWAP', 1_000, '1'), item('BTC-USDT-SWAP', 2_000, '2'));
    await v.deliver(item('BTC-USDT-SWAP', 3_000, '3'), item('BTC-USDT-SWAP', 4_000, '4'));
    await v.deliver(item('BTC-USDT-SWAP', 5_000, '5'));
    expect(v.streams.pendingAtStartup).toBe(3);
    expect(v.streams.startupDropped).toBe(2);
    v.watch([BTC]);
    await v.streams.stop();
    expect(atOf(v.sink.offered)).toEqual([3_000, 4_000, 5_000]);
    expect(v.streams.saved).toBe(3);
  });

  it('filters events normally once a watch list has existed, even if it later becomes empty', async () => {
    const v = fakeVenue();
    v.streams.start();
    v.watch([BTC]);
    v.watch([]);
    await v.deliver(item('BTC-USDT-SWAP', 1_000, '5'));
    await v.streams.stop();
    expect(v.sink.offered).toEqual([]);
    expect(v.streams.pendingAtStartup).toBe(0);
  });
});

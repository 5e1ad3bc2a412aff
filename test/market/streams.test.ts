// Liquidation streams: which side was liquidated on each venue (through the real ccxt.pro clients and the mock's
// sockets), reconnecting after dropped sockets without duplicates, the silence watchdog, and dropping replays.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeId, Liquidation } from '../../src/domain/market.js';
import { silentLogger } from '../../src/log/logger.js';
import { LiquidationStreams } from '../../src/market/liquidations.js';
import { okxAdapter } from '../../src/market/venues/okx.js';
import type { ScenarioInput } from '../../src/mock-exchange/server.js';
import { FakeSink } from './fakeSink.js';
import { fakeLiquidationSocket, OKX_BTC_SWAP, requestsTo, startHarness, waitFor } from './helpers.js';
import type { Harness } from './helpers.js';

const STREAMED: ExchangeId[] = ['binanceusdm', 'bybit', 'okx'];

function scenario(
  liquidations: unknown[],
  venues: ExchangeId[] = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'],
): ScenarioInput {
  const btc = (extra: Record<string, unknown>) => ({
    base: 'BTC',
    keyframes: [
      { atSec: 0, price: 100_000, fundingRate: 0.0001, openInterestUsd: 5e9, volume24hUsd: 5e9, depth1PctUsd: 2e7 },
    ],
    liquidations,
    ...extra,
  });
  const spec: Record<string, unknown> = {};
  for (const venue of venues) {
    spec[venue] = {
      markets: [btc(venue === 'okx' ? { contractSize: 0.01 } : venue === 'hyperliquid' ? { settle: 'USDC' } : {})],
    };
  }
  return { name: 'liquidations', start: '2025-10-08T12:00:00Z', durationSec: 600, venues: spec } as ScenarioInput;
}

const keyOf = (l: Liquidation) => `${l.exchange}|${l.symbol}|${l.at}|${l.side}|${l.price}|${l.sizeBase}`;

describe('liquidation streams against the mock exchange', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reports the side of the liquidated position on every venue, whatever its convention', async () => {
    // Scenario time waits until every stream is subscribed (Bybit subscribes per symbol after the first cycle), so
    // a slow start on a loaded machine cannot make a venue miss the two liquidations.
    let wallMs = Date.now();
    h = await startHarness({
      scenario: scenario([
        { atSec: 1.2, side: 'long', sizeUsd: 50_000, price: 100_000 },
        { atSec: 2.4, side: 'short', sizeUsd: 20_200, price: 101_000 },
      ]),
      tuning: { streams: true, markPriceStream: false },
      clock: () => wallMs,
    });
    await h.service.start();
    await h.service.pollOnce();
    const mock = h.mock;
    const upgraded = () =>
      new Set(
        mock
          .requests()
          .filter((r) => r.method === 'WS' && r.status === 101)
          .map((r) => r.venue),
      );
    await waitFor(() => STREAMED.every((venue) => upgraded().has(venue)), 10_000, 'a socket per streaming venue');
    // The subscriptions follow the upgrades by a message each way.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    wallMs += 3_000;
    mock.pushNow();
    const sink = h.sink;
    await waitFor(
      () => STREAMED.every((venue) => sink.liquidationsOf(venue).length >= 2),
      10_000,
      'two liquidations per venue',
    );
    for (const venue of STREAMED) {
      const [first, second] = sink.liquidationsOf(venue);
      // Binance sends SELL for a liquidated long, Bybit sends Buy, OKX posSide long (or net with a sell order): all 'long'.
      expect(first, venue).toMatchObject({ side: 'long', price: 100_000, symbol: 'BTC/USDT:USDT' });
      expect(second, venue).toMatchObject({ side: 'short', price: 101_000 });
      expect(first?.sizeUsd ?? 0, venue).toBeCloseTo(50_000, -2);
      expect(second?.sizeUsd ?? 0, venue).toBeCloseTo(20_200, -2);
      expect(first?.at).toBe(Date.parse('2025-10-08T12:00:01.200Z'));
    }
    const health = h.service.venueHealth();
    expect(health.map((v) => [v.exchange, v.liquidationStream])).toEqual([
      ['binanceusdm', 'streaming'],
      ['bybit', 'streaming'],
      ['okx', 'streaming'],
      ['hyperliquid', 'not streamed'],
    ]);
    expect(health.find((v) => v.exchange === 'okx')?.lastLiquidationAt).toBe(Date.parse('2025-10-08T12:00:02.400Z'));
  });

  it('reconnects and resubscribes after the sockets drop, and writes no liquidation twice', async () => {
    h = await startHarness({
      scenario: scenario(
        [
          { fromSec: 0, toSec: 120, side: 'long', perSecond: 3, sizeUsd: 10_000, sizeJitter: 0.5 },
          { fromSec: 0.5, toSec: 120, side: 'short', perSecond: 3, sizeUsd: 9_000, sizeJitter: 0.5 },
        ],
        STREAMED,
      ),
      env: { EXCHANGES: STREAMED.join(',') },
      tuning: { streams: true, markPriceStream: false },
    });
    const { mock, sink, service } = h;
    await service.start();
    await service.pollOnce();
    await waitFor(
      () => STREAMED.every((v) => sink.liquidationsOf(v).length >= 3),
      10_000,
      'liquidations before the drop',
    );
    const upgradesBefore = STREAMED.map((v) => requestsTo(mock, v).filter((r) => r.method === 'WS').length);
    const countsAtDrop = STREAMED.map((v) => sink.liquidationsOf(v).length);
    mock.dropSockets();
    await waitFor(
      () => STREAMED.every((v, i) => sink.liquidationsOf(v).length >= (countsAtDrop[i] ?? 0) + 3),
      15_000,
      'liquidations after the reconnect',
    );
    STREAMED.forEach((venue, i) => {
      const upgrades = requestsTo(mock, venue).filter((r) => r.method === 'WS' && r.status === 101).length;
      expect(upgrades, venue).toBeGreaterThan(upgradesBefore[i] ?? 0);
    });
    const offeredKeys = sink.offered.map(keyOf);
    expect(new Set(offeredKeys).size).toBe(offeredKeys.length);
    expect(service.venueHealth().every((v) => v.liquidationStream === 'streaming')).toBe(true);
  });

  it('drops the backlog OKX replays on a new subscription, so nothing is written twice', async () => {
    const replaying = scenario(
      [
        { fromSec: 0, toSec: 120, side: 'long', perSecond: 2, sizeUsd: 10_000, sizeJitter: 0.5 },
        { fromSec: 0.25, toSec: 120, side: 'short', perSecond: 2, sizeUsd: 8_000, sizeJitter: 0.5 },
      ],
      ['okx'],
    ) as { venues: { okx: Record<string, unknown> } };
    replaying.venues.okx['replayOnSubscribe'] = 5;
    h = await startHarness({
      scenario: replaying as unknown as ScenarioInput,
      env: { EXCHANGES: 'okx' },
      tuning: { streams: true },
    });
    const { mock, sink, service } = h;
    await service.start();
    await service.pollOnce();
    await waitFor(() => sink.liquidationsOf('okx').length >= 3, 8_000, 'first liquidations');
    mock.dropSockets('okx');
    await waitFor(() => service.streamCounters('okx').duplicates >= 1, 8_000, 'the replayed backlog');
    const offeredKeys = sink.offered.map(keyOf);
    expect(new Set(offeredKeys).size).toBe(offeredKeys.length);
  });

  it('closes a socket that stays open but goes silent, and streams again once data flows', async () => {
    h = await startHarness({
      scenario: scenario([{ fromSec: 0, toSec: 120, side: 'long', perSecond: 4, sizeUsd: 10_000 }], ['okx']),
      env: { EXCHANGES: 'okx' },
      tuning: { streams: true, silenceMsByVenue: { okx: 2_500 } },
    });
    const { mock, sink, service } = h;
    await service.start();
    await service.pollOnce();
    await waitFor(() => sink.liquidationsOf('okx').length >= 2, 8_000, 'first liquidations');
    const upgradesBefore = requestsTo(mock, 'okx').filter((r) => r.method === 'WS').length;
    const removeSilence = mock.injectFault({ venue: 'okx', kind: 'silence' });
    await waitFor(() => service.streamCounters('okx').watchdogResets >= 1, 8_000, 'the watchdog');
    removeSilence();
    const countAfterSilence = sink.liquidationsOf('okx').length;
    await waitFor(
      () => sink.liquidationsOf('okx').length >= countAfterSilence + 2,
      8_000,
      'liquidations after silence',
    );
    expect(requestsTo(mock, 'okx').filter((r) => r.method === 'WS').length).toBeGreaterThan(upgradesBefore);
  });
});

describe('deduplication of replayed liquidations', () => {
  it('drops an OKX backlog replayed after a reconnect, by content, before the store sees it', async () => {
    const market = OKX_BTC_SWAP;
    const { exchange: fake, deliver } = fakeLiquidationSocket();
    const sink = new FakeSink();
    const streams = new LiquidationStreams({
      venue: 'okx',
      exchange: fake,
      feed: okxAdapter.liquidations!,
      markPrices: undefined,
      plainSockets: false,
      watchedSymbols: () => [market.symbol],
      marketById: (id) => (id === market.venueId ? market : undefined),
      sink,
      now: Date.now,
      monotonic: () => performance.now(),
      random: () => 0.5,
      log: silentLogger,
      tuning: { silenceMs: 60_000, reconnectBaseMs: 10, reconnectMaxMs: 10, recentKeys: 100 },
      onRejections: () => undefined,
    });
    const item = (ts: number, sz: string) => ({
      info: {
        instId: 'BTC-USDT-SWAP',
        details: [{ bkPx: '100000', posSide: 'long', side: 'sell', sz, ts: String(ts) }],
      },
    });
    streams.start();
    await deliver(item(1_000, '5'), item(2_000, '7'));
    // The venue replays its recent backlog on the new connection: new objects, same content.
    await deliver(item(1_000, '5'), item(2_000, '7'), item(3_000, '9'));
    await streams.stop();
    expect(sink.offered.map((l) => l.at)).toEqual([1_000, 2_000, 3_000]);
    expect(streams.duplicates).toBe(2);
    expect(streams.saved).toBe(3);
  });
});

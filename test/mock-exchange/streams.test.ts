import ccxt from 'ccxt';
import type { Exchange, Liquidation } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { START_MS, connect, fixtureScenario, manualClock, sleep } from './helpers.js';

/**
 * ccxt's side, time, price and the USD size. ccxt leaves `contractSize` and `quoteValue` undefined on streamed
 * liquidations (safeLiquidation is called without the market), so the size comes from the market's contract size.
 */
const summarize = (exchange: Exchange) => (l: Liquidation) => ({
  side: l.side,
  timestamp: l.timestamp,
  price: l.price,
  usd: Math.round((l.contracts ?? 0) * (exchange.market(l.symbol).contractSize ?? 1) * (l.price ?? 0)),
});

/** ccxt's liquidation cache of an instance, once it holds `count` entries (or after 5 s). */
async function cachedLiquidations(exchange: Exchange, count: number): Promise<Liquidation[]> {
  const deadline = Date.now() + 5000;
  const read = () => Array.from((exchange.liquidations ?? []) as Iterable<Liquidation>);
  while (read().length < count && Date.now() < deadline) await sleep(50);
  return read();
}

describe('the mock exchange streams scripted liquidations the way each venue does', () => {
  const clock = manualClock();
  let mock: MockExchange;
  const open: Exchange[] = [];
  let binance: Exchange;
  let bybit: Exchange;
  let okx: Exchange;
  let binanceAll: Exchange;

  beforeAll(async () => {
    const scenario = fixtureScenario();
    scenario.venues.okx = { ...scenario.venues.okx, replayOnSubscribe: 10 };
    mock = await startMockExchange({ scenario, clock: clock.now });
    binance = await connect(mock, 'binanceusdm', { newUpdates: false });
    bybit = await connect(mock, 'bybit', { newUpdates: false });
    okx = await connect(mock, 'okx', { newUpdates: false });
    binanceAll = await connect(mock, 'binanceusdm', { newUpdates: false });
    open.push(binance, bybit, okx, binanceAll);
    await Promise.all(open.map((exchange) => exchange.loadMarkets()));
  });

  afterAll(async () => {
    await Promise.all(open.map((exchange) => exchange.close()));
    await mock.close();
  });

  it('delivers the liquidations as their scenario time passes, sampled per venue, with each venue side convention', async () => {
    const symbol = 'BTC/USDT:USDT';
    // Subscribe first (nothing is due at offset 0), then let 13 scenario seconds pass.
    const binanceFirst = binance.watchLiquidationsForSymbols([symbol]);
    const bybitFirst = bybit.watchLiquidations(symbol);
    const okxFirst = okx.watchLiquidationsForSymbols([symbol]);
    const binanceAllFirst = binanceAll.watchLiquidationsForSymbols([]); // !forceOrder@arr
    for (const pending of [binanceFirst, bybitFirst, okxFirst, binanceAllFirst]) pending.catch(() => undefined);
    await sleep(400);
    clock.advance(13_000);

    await Promise.all([binanceFirst, bybitFirst, okxFirst, binanceAllFirst]);

    // Binance: at most one per symbol per second, the latest of that second; S is the ORDER side (SELL closes a long).
    const fromBinance = await cachedLiquidations(binance, 2);
    expect(fromBinance.map(summarize(binance))).toEqual([
      { side: 'buy', timestamp: START_MS + 10_500, price: 100_000, usd: 20_000 },
      { side: 'sell', timestamp: START_MS + 12_200, price: 99_000, usd: 30_000 },
    ]);
    expect(fromBinance[1]?.info).toMatchObject({ s: 'BTCUSDT', S: 'SELL', X: 'FILLED' });
    expect((await cachedLiquidations(binanceAll, 2)).map(summarize(binanceAll))).toEqual(
      fromBinance.map(summarize(binance)),
    );

    // Bybit allLiquidation: every liquidation, batched per 500 ms; S is the POSITION side (Buy = a long was liquidated).
    const fromBybit = await cachedLiquidations(bybit, 3);
    expect(fromBybit.map(summarize(bybit))).toEqual([
      { side: 'buy', timestamp: START_MS + 10_100, price: 100_000, usd: 50_000 },
      { side: 'sell', timestamp: START_MS + 10_500, price: 100_000, usd: 20_000 },
      { side: 'buy', timestamp: START_MS + 12_200, price: 99_000, usd: 30_000 },
    ]);

    // OKX liquidation-orders: one per contract per second; side is the ORDER side, posSide the position.
    const fromOkx = await cachedLiquidations(okx, 2);
    expect(fromOkx.map(summarize(okx))).toEqual([
      { side: 'buy', timestamp: START_MS + 10_500, price: 100_000, usd: 20_000 },
      { side: 'sell', timestamp: START_MS + 12_200, price: 99_000, usd: 29_997 }, // 30.3 contracts of 0.01 BTC: OKX sizes are whole lots
    ]);
    expect(fromOkx[1]).toMatchObject({ contracts: 30.3, contractSize: undefined, quoteValue: undefined });
    expect(fromOkx[1]?.info).toMatchObject({
      instId: 'BTC-USDT-SWAP',
      // Net mode, as most accounts (the mock's default mix): the liquidated side follows from the order side.
      details: [{ posSide: 'net', side: 'sell', sz: '30.3' }],
    });
  });

  it('replays earlier OKX liquidations to a new subscriber when the scenario asks for it', async () => {
    const late = await connect(mock, 'okx', { newUpdates: false });
    open.push(late);
    await late.loadMarkets();
    await late.watchLiquidationsForSymbols(['BTC/USDT:USDT']);
    const replayed = await cachedLiquidations(late, 2);
    expect(replayed.map((l) => [l.side, l.timestamp])).toEqual([
      ['buy', START_MS + 10_500],
      ['sell', START_MS + 12_200],
    ]);
  });

  it('streams Binance mark prices for every symbol every second', async () => {
    const prices = await binance.watchMarkPrices();
    expect(Object.keys(prices).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC']);
    expect(prices['ETH/USDC:USDC']?.markPrice).toBe(2500);
  });

  it('streams Bybit tickers with funding and open interest, and answers its JSON ping', async () => {
    const ticker = await bybit.watchTicker('ETH/USDT:USDT');
    expect(ticker.last).toBe(2500);
    expect(ticker.info).toMatchObject({ fundingRate: '0.0003', openInterestValue: '500000000.00' });
  });

  it('streams OKX funding rates and mark prices per instrument', async () => {
    const funding = await okx.watchFundingRate('ETH/USDT:USDT');
    expect(funding.fundingRate).toBe(0.0003);
    const marks = await okx.watchMarkPrices(['ETH/USDT:USDT']);
    expect(marks['ETH/USDT:USDT']?.markPrice).toBe(2500);
  });

  it('goes quiet without closing while a silence fault is active', async () => {
    const remove = mock.injectFault({ venue: 'binanceusdm', kind: 'silence' });
    await sleep(300);
    const quiet = binance.watchMarkPrices(['BTC/USDT:USDT']);
    quiet.catch(() => undefined);
    const outcome = await Promise.race([quiet.then(() => 'update'), sleep(1600).then(() => 'silence')]);
    expect(outcome).toBe('silence');
    remove();
    await expect(quiet).resolves.toBeDefined();
  });

  it('closes the client connection when the server drops its sockets, and accepts a reconnect', async () => {
    const upgradesBefore = mock.requests().filter((r) => r.venue === 'bybit' && r.method === 'WS').length;
    const pending = bybit.watchLiquidations('ETH/USDT:USDT');
    pending.catch(() => undefined);
    await sleep(300);
    mock.dropSockets('bybit');
    await expect(pending).rejects.toBeInstanceOf(ccxt.NetworkError);
    const ticker = await bybit.watchTicker('SOL/USDT:USDT');
    expect(ticker.symbol).toBe('SOL/USDT:USDT');
    const upgradesAfter = mock.requests().filter((r) => r.venue === 'bybit' && r.method === 'WS').length;
    expect(upgradesAfter).toBe(upgradesBefore + 1);
  });

  it('refuses socket upgrades while a dropSockets fault is active', async () => {
    const okxAgain = await connect(mock, 'okx');
    open.push(okxAgain);
    await okxAgain.loadMarkets();
    const remove = mock.injectFault({ venue: 'okx', kind: 'dropSockets' });
    await expect(okxAgain.watchMarkPrices(['BTC/USDT:USDT'])).rejects.toBeInstanceOf(ccxt.NetworkError);
    remove();
    const marks = await okxAgain.watchMarkPrices(['BTC/USDT:USDT']);
    expect(marks['BTC/USDT:USDT']?.markPrice).toBeGreaterThan(0);
  });
});

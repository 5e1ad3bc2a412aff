// Bybit v5, category linear: the market REST routes ccxt's bybit calls (every answer in the
// {retCode, retMsg, result, retExtInfo, time} envelope) and the public linear socket (allLiquidation, liquidation,
// tickers topics; {"op":"ping"} answered with a pong).
import type { NonTradingListing } from '../listings.js';
import { QUARTERLY_BASIS } from '../listings.js';
import type { LiquidationEvent, MarketState, VenueMarket } from '../model.js';
import { accountShares, bookSide, dayStats, decimalsOf, nextFundingAt, roundTo, stateAtMs, trimmed } from '../model.js';
import type { FaultSpec } from '../scenario.js';
import type { LiquidationBatch, RestReply, RestRequest, VenueAdapter, VenueContext, VenueSocket } from '../venue.js';
import {
  clamp,
  historyGrid,
  htmlReply,
  intParam,
  isReply,
  jsonReply,
  periodMs,
  periodicDue,
  retryAfterHeader,
} from '../venue.js';

type Steps = Pick<VenueMarket, 'tickSize' | 'qtyStep'>;
const price = (m: Steps, value: number) => roundTo(value, m.tickSize).toFixed(decimalsOf(m.tickSize));
const qty = (m: Steps, value: number) => roundTo(value, m.qtyStep).toFixed(decimalsOf(m.qtyStep));

/** What an instruments-info entry needs of a market or of a non-trading listing. */
type Listed = Pick<
  VenueMarket,
  'id' | 'base' | 'quote' | 'settle' | 'listedAt' | 'tickSize' | 'qtyStep' | 'maxLeverage'
>;

/** The instruments-info status of each kind of non-trading listing (listings.ts). */
const LISTING_STATUS: Partial<Record<NonTradingListing['kind'], string>> = {
  preLaunch: 'PreLaunch',
  quarterly: 'Trading',
  delivering: 'Delivering',
  closed: 'Closed',
};

function envelope(ctx: VenueContext, result: unknown, retCode = 0, retMsg = 'OK'): RestReply {
  return jsonReply({ retCode, retMsg, result, retExtInfo: {}, time: ctx.now() });
}

const paramsError = (ctx: VenueContext, what: string) => envelope(ctx, {}, 10001, `params error: ${what}`);

/** Opaque page cursors, as Bybit's are: the offset of the next page, encoded. */
const cursorOf = (offset: number) => Buffer.from(`offset=${offset}`).toString('base64url');
function offsetOf(cursor: string | null): number {
  if (cursor === null || cursor === '') return 0;
  const match = /^offset=(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match === null ? -1 : Number(match[1]);
}

function instrument(m: VenueMarket): Record<string, unknown> {
  return instrumentOf(m, { status: 'Trading', fundingIntervalMinutes: m.fundingIntervalHours * 60 });
}

function listingInstrument(listing: NonTradingListing): Record<string, unknown> {
  const dated = listing.kind === 'quarterly' || listing.kind === 'delivering';
  const entry = instrumentOf(listing, {
    status: LISTING_STATUS[listing.kind] ?? 'Closed',
    fundingIntervalMinutes: dated ? 0 : 480,
    ...(dated ? { contractType: 'LinearFutures', deliveryTime: listing.expiresAt ?? 0 } : {}),
  });
  if (listing.kind !== 'preLaunch') return entry;
  // A pre-market contract: its phases and auction times, as instruments-info sends them with status=PreLaunch.
  const opensAt = listing.listedAt;
  return {
    ...entry,
    isPreListing: true,
    preListingInfo: {
      curAuctionPhase: 'ContinuousTrading',
      phases: [
        { phase: 'CallAuction', startTime: String(opensAt - 7_200_000), endTime: String(opensAt - 3_600_000) },
        { phase: 'ContinuousTrading', startTime: String(opensAt - 3_600_000), endTime: '' },
      ],
      auctionFeeInfo: { auctionFeeRate: '0', takerFeeRate: '0.001', makerFeeRate: '0.0004' },
    },
  };
}

function instrumentOf(
  m: Listed,
  how: { status: string; fundingIntervalMinutes: number; contractType?: string; deliveryTime?: number },
): Record<string, unknown> {
  return {
    symbol: m.id,
    contractType: how.contractType ?? 'LinearPerpetual',
    status: how.status,
    baseCoin: m.base,
    quoteCoin: m.quote,
    launchTime: String(m.listedAt),
    deliveryTime: String(how.deliveryTime ?? 0),
    deliveryFeeRate: how.contractType === 'LinearFutures' ? '0.0005' : '',
    priceScale: String(decimalsOf(m.tickSize)),
    leverageFilter: { minLeverage: '1', maxLeverage: m.maxLeverage.toFixed(2), leverageStep: '0.01' },
    priceFilter: {
      minPrice: price(m, m.tickSize),
      maxPrice: price(m, m.tickSize * 1e8),
      tickSize: price(m, m.tickSize),
    },
    lotSizeFilter: {
      maxOrderQty: qty(m, m.qtyStep * 1e6),
      minOrderQty: qty(m, m.qtyStep),
      qtyStep: qty(m, m.qtyStep),
      postOnlyMaxOrderQty: qty(m, m.qtyStep * 1e6),
      maxMktOrderQty: qty(m, m.qtyStep * 1e5),
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    // A number of minutes, unlike nearly every other field (0 for dated futures).
    fundingInterval: how.fundingIntervalMinutes,
    settleCoin: m.settle,
    copyTrading: 'both',
    upperFundingRate: '0.02',
    lowerFundingRate: '-0.02',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    displayName: '',
  };
}

function ticker(m: VenueMarket, ctx: VenueContext, now: number): Record<string, unknown> {
  const s = stateAtMs(m, ctx.startMs, now);
  const day = dayStats(m, ctx.startMs, now);
  const hourAgo = stateAtMs(m, ctx.startMs, now - 3_600_000).price;
  const bid = bookSide(m, s, 'bids')[0];
  const ask = bookSide(m, s, 'asks')[0];
  const openInterest = s.openInterestUsd / s.markPrice;
  const blank = (field: Parameters<typeof m.blanks.has>[0], value: string) => (m.blanks.has(field) ? '' : value);
  return {
    symbol: m.id,
    lastPrice: price(m, s.price),
    indexPrice: blank('indexPrice', price(m, s.indexPrice)),
    markPrice: price(m, s.markPrice),
    prevPrice24h: price(m, day.open),
    price24hPcnt: trimmed((day.last - day.open) / day.open, 6),
    highPrice24h: price(m, day.high),
    lowPrice24h: price(m, day.low),
    prevPrice1h: price(m, hourAgo),
    openInterest: blank('openInterest', qty(m, openInterest)),
    openInterestValue:
      m.blanks.has('openInterest') || m.blanks.has('openInterestValue')
        ? ''
        : (roundTo(openInterest, m.qtyStep) * s.markPrice).toFixed(2),
    turnover24h: s.volume24hUsd.toFixed(4),
    volume24h: qty(m, s.volume24hUsd / s.price),
    fundingRate: blank('fundingRate', trimmed(s.fundingRate, 8)),
    nextFundingTime: blank('nextFundingTime', String(nextFundingAt(m, now))),
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
    ask1Size: qty(m, ask?.amount ?? 0),
    bid1Price: price(m, bid?.price ?? s.price),
    ask1Price: price(m, ask?.price ?? s.price),
    bid1Size: qty(m, bid?.amount ?? 0),
    basis: '',
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
  };
}

/** A dated future in the linear tickers: no funding ("" rate and next time), a delivery time and a basis instead. */
function quarterlyTicker(listing: NonTradingListing, ctx: VenueContext, now: number): Record<string, unknown> | null {
  const twin = listing.twin;
  if (twin === null) return null;
  const perpetual = ticker(twin, ctx, now);
  const s = stateAtMs(twin, ctx.startMs, now);
  const mark = s.markPrice * (1 + QUARTERLY_BASIS);
  return {
    ...perpetual,
    symbol: listing.id,
    lastPrice: price(twin, mark),
    markPrice: price(twin, mark),
    bid1Price: price(twin, mark * 0.9995),
    ask1Price: price(twin, mark * 1.0005),
    openInterest: qty(twin, s.openInterestUsd / 50 / mark),
    openInterestValue: (s.openInterestUsd / 50).toFixed(2),
    turnover24h: (s.volume24hUsd / 50).toFixed(4),
    volume24h: qty(twin, s.volume24hUsd / 50 / mark),
    fundingRate: '',
    nextFundingTime: '',
    deliveryTime: String(listing.expiresAt ?? 0),
    basisRate: trimmed(QUARTERLY_BASIS, 8),
    basis: price(twin, mark - s.indexPrice),
    deliveryFeeRate: '0.0005',
  };
}

function riskTiers(m: VenueMarket, s: MarketState): unknown[] {
  // Five tiers scaled to the market's size: the first tier holds about 1% of open interest (at least 200k USD).
  const base = Math.max(200_000, Math.round(s.openInterestUsd / 100 / 100_000) * 100_000);
  return [1, 2, 4, 8, 16].map((multiple, i) => {
    const leverage = Math.max(1, m.maxLeverage / Math.pow(2, i));
    const maintenance = 0.005 * Math.pow(2, i);
    return {
      id: i + 1,
      symbol: m.id,
      riskLimitValue: String(base * multiple),
      maintenanceMargin: trimmed(maintenance, 4),
      initialMargin: trimmed(1 / leverage, 4),
      isLowestRisk: i === 0 ? 1 : 0,
      maxLeverage: leverage.toFixed(2),
      mmDeduction: i === 0 ? '' : trimmed(base * multiple * maintenance * 0.5, 2),
    };
  });
}

const PERIODS = new Set(['5min', '15min', '30min', '1h', '4h', '1d']);

/** A history list on the grid of the period named by `param`, newest first, as Bybit sends it (limit default 50). */
function history(
  query: URLSearchParams,
  ctx: VenueContext,
  param: 'intervalTime' | 'period',
  maxLimit: number,
  point: (at: number) => Record<string, string>,
): Record<string, string>[] | RestReply {
  const period = query.get(param) ?? '';
  const ms = periodMs(period);
  if (!PERIODS.has(period) || ms === undefined) return paramsError(ctx, `${param} invalid`);
  const limit = clamp(intParam(query, 'limit') ?? 50, 1, maxLimit);
  const times = historyGrid(ctx.now(), ms, limit, intParam(query, 'startTime'), intParam(query, 'endTime'));
  return times.reverse().map(point);
}

function handle(request: RestRequest, ctx: VenueContext): RestReply {
  const { query } = request;
  const now = ctx.now();
  if (request.path === '/v5/market/time') {
    return envelope(ctx, { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` });
  }
  if (!request.path.startsWith('/v5/market/')) return htmlReply(404);
  const category = query.get('category');
  if (category === null || !['linear', 'inverse', 'spot', 'option'].includes(category)) {
    return paramsError(ctx, 'category is invalid');
  }
  // The scenario lists linear perpetuals only: the other categories exist but are empty.
  const markets = category === 'linear' ? ctx.model.markets : [];
  const symbolParam = query.get('symbol');
  let one: VenueMarket | undefined;
  if (symbolParam !== null && symbolParam !== '') {
    one = markets.find((m) => m.id === symbolParam.toUpperCase());
    if (one === undefined) return paramsError(ctx, 'symbol invalid');
  }
  const selected = one === undefined ? markets : [one];
  const requireSymbol = (): VenueMarket | RestReply => one ?? paramsError(ctx, 'symbol invalid');
  switch (request.path) {
    case '/v5/market/instruments-info': {
      // Without a status Bybit lists only what trades (perpetuals and dated futures); other statuses on request.
      const status = query.get('status') ?? 'Trading';
      const listings = category === 'linear' && one === undefined ? ctx.model.nonTrading : [];
      const all = [
        ...(status === 'Trading' ? selected.map(instrument) : []),
        ...listings.filter((l) => LISTING_STATUS[l.kind] === status).map(listingInstrument),
      ];
      const pageSize = clamp(intParam(query, 'limit') ?? 500, 1, 1000);
      const offset = offsetOf(query.get('cursor'));
      if (offset < 0) return paramsError(ctx, 'cursor invalid');
      const page = all.slice(offset, offset + pageSize);
      const next = offset + page.length < all.length ? cursorOf(offset + page.length) : '';
      return envelope(ctx, { category, list: page, nextPageCursor: next });
    }
    case '/v5/market/tickers': {
      const dated = category === 'linear' && one === undefined ? ctx.model.nonTrading : [];
      const futures = dated.filter((l) => l.kind === 'quarterly').map((l) => quarterlyTicker(l, ctx, now));
      return envelope(ctx, {
        category,
        list: [...selected.map((m) => ticker(m, ctx, now)), ...futures.filter((t) => t !== null)],
      });
    }
    case '/v5/market/orderbook': {
      const m = requireSymbol();
      if (isReply(m)) return m;
      const limit = clamp(intParam(query, 'limit') ?? 25, 1, 500);
      const s = stateAtMs(m, ctx.startMs, now);
      const levels = (side: 'bids' | 'asks') =>
        bookSide(m, s, side)
          .slice(0, limit)
          .map((level) => [price(m, level.price), qty(m, level.amount)]);
      return envelope(ctx, {
        s: m.id,
        b: levels('bids'),
        a: levels('asks'),
        ts: now,
        u: Math.floor(now / 10) % 1e9,
        seq: now,
        cts: now - 2,
      });
    }
    case '/v5/market/open-interest': {
      const m = requireSymbol();
      if (isReply(m)) return m;
      const list = history(request.query, ctx, 'intervalTime', 200, (t) => {
        const s = stateAtMs(m, ctx.startMs, t);
        return { openInterest: qty(m, s.openInterestUsd / s.markPrice), timestamp: String(t) };
      });
      return isReply(list) ? list : envelope(ctx, { symbol: m.id, category, list, nextPageCursor: '' });
    }
    case '/v5/market/account-ratio': {
      const m = requireSymbol();
      if (isReply(m)) return m;
      const list = history(request.query, ctx, 'period', 500, (t) => {
        const shares = accountShares(stateAtMs(m, ctx.startMs, t).longShortRatio);
        return {
          symbol: m.id,
          buyRatio: shares.long.toFixed(4),
          sellRatio: shares.short.toFixed(4),
          timestamp: String(t),
        };
      });
      return isReply(list) ? list : envelope(ctx, { list, nextPageCursor: '' });
    }
    case '/v5/market/risk-limit': {
      const pageSize = 1000;
      const all = selected.flatMap((m) => riskTiers(m, stateAtMs(m, ctx.startMs, now)));
      const offset = offsetOf(query.get('cursor'));
      if (offset < 0) return paramsError(ctx, 'cursor invalid');
      const page = all.slice(offset, offset + pageSize);
      const next = offset + page.length < all.length ? cursorOf(offset + page.length) : '';
      return envelope(ctx, { category, list: page, nextPageCursor: next });
    }
    case '/v5/market/funding/history': {
      const m = requireSymbol();
      if (isReply(m)) return m;
      const limit = clamp(intParam(query, 'limit') ?? 200, 1, 200);
      const times = historyGrid(
        now,
        m.fundingIntervalHours * 3_600_000,
        limit,
        intParam(query, 'startTime'),
        intParam(query, 'endTime'),
      );
      const list = times.reverse().map((t) => ({
        symbol: m.id,
        fundingRate: trimmed(stateAtMs(m, ctx.startMs, t).fundingRate, 8),
        fundingRateTimestamp: String(t),
      }));
      return envelope(ctx, { category, list });
    }
    default:
      return htmlReply(404);
  }
}

/** Bybit's pages are at most this long (1000 on the real venue); scenarios may shorten them to exercise cursors. */
export function withPageSize(pageSize: number | undefined): (request: RestRequest) => RestRequest {
  return (request) => {
    if (pageSize === undefined || request.path !== '/v5/market/instruments-info') return request;
    const query = new URLSearchParams(request.query);
    const asked = intParam(query, 'limit') ?? 500;
    query.set('limit', String(Math.min(asked, pageSize)));
    return { ...request, query };
  };
}

function errorReply(fault: FaultSpec, ctx: VenueContext): RestReply {
  const forbidden = (headers?: Record<string, string>) => htmlReply(403, 'access too frequent', headers);
  switch (fault.kind) {
    case 'rateLimit': {
      const reply = envelope(ctx, {}, 10006, 'Too many visits!');
      const resetAt = ctx.now() + (fault.retryAfterSec ?? 1) * 1000;
      return {
        ...reply,
        headers: { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(resetAt) },
      };
    }
    case 'ipBan':
      return forbidden(retryAfterHeader(fault.retryAfterSec));
    case 'badSymbol':
      return paramsError(ctx, 'symbol invalid');
    case 'status':
      if (fault.status === 403) return forbidden(retryAfterHeader(fault.retryAfterSec));
      return htmlReply(fault.status, undefined, retryAfterHeader(fault.retryAfterSec));
    default:
      return htmlReply(500);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public linear socket

function topicMarket(topic: string, ctx: VenueContext): VenueMarket | undefined {
  const dot = topic.lastIndexOf('.');
  return dot < 0 ? undefined : ctx.model.byId.get(topic.slice(dot + 1));
}

function liquidationItem(event: LiquidationEvent): unknown {
  const m = event.market;
  return {
    T: event.at,
    s: m.id,
    // Bybit reports the side of the liquidated POSITION: Buy means a long was liquidated.
    S: event.side === 'long' ? 'Buy' : 'Sell',
    v: qty(m, event.sizeBase),
    p: price(m, event.price),
  };
}

const socket: VenueSocket = {
  onOpen() {},
  onMessage(conn, text, ctx) {
    let message: { op?: unknown; args?: unknown; req_id?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      conn.send({
        success: false,
        ret_msg: `error:invalid op, please check your request`,
        conn_id: conn.connId,
        op: '',
      });
      return;
    }
    const reqId = message.req_id === undefined ? {} : { req_id: String(message.req_id) };
    const op = typeof message.op === 'string' ? message.op : '';
    if (op === 'ping') {
      conn.send({ success: true, ret_msg: 'pong', conn_id: conn.connId, ...reqId, op: 'ping' });
      return;
    }
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      conn.send({
        success: false,
        ret_msg: `error:handler not found, op:${op}`,
        conn_id: conn.connId,
        ...reqId,
        op,
      });
      return;
    }
    const topics = Array.isArray(message.args) ? message.args.filter((a): a is string => typeof a === 'string') : [];
    const bad = topics.filter((topic) => {
      const supported = /^(allLiquidation|liquidation|tickers|orderbook\.\d+|publicTrade|kline\.\w+)\./.test(topic);
      return !supported || topicMarket(topic, ctx) === undefined;
    });
    if (op === 'subscribe' && bad.length > 0) {
      conn.send({
        success: false,
        ret_msg: `Invalid symbol :[${bad.join(',')}]`,
        conn_id: conn.connId,
        ...reqId,
        op,
      });
      return;
    }
    for (const topic of topics) {
      if (op === 'subscribe') conn.subscriptions.add(topic);
      else {
        conn.subscriptions.delete(topic);
        conn.lastPush.delete(topic);
      }
    }
    conn.send({ success: true, ret_msg: '', conn_id: conn.connId, ...reqId, op });
  },
  tick(conns, ctx, wallNow) {
    const now = ctx.now();
    for (const conn of conns) {
      for (const topic of conn.subscriptions) {
        if (!topic.startsWith('tickers.')) continue;
        const m = topicMarket(topic, ctx);
        if (m === undefined) continue;
        const first = !conn.lastPush.has(topic);
        if (!periodicDue(conn, topic, 1000, wallNow)) continue;
        conn.send({
          topic,
          type: first ? 'snapshot' : 'delta',
          data: ticker(m, ctx, now),
          cs: now * 10,
          ts: now,
        });
      }
    }
  },
  pushLiquidations(conns, batches: readonly LiquidationBatch[]) {
    for (const batch of batches) {
      const all = `allLiquidation.${batch.market.id}`;
      const legacy = `liquidation.${batch.market.id}`;
      const allMessage = { topic: all, type: 'snapshot', ts: batch.pushedAt, data: batch.events.map(liquidationItem) };
      const latest = batch.events[batch.events.length - 1];
      for (const conn of conns) {
        if (conn.subscriptions.has(all)) conn.send(allMessage);
        if (latest !== undefined && conn.subscriptions.has(legacy)) {
          // The older topic: one liquidation (the latest) per symbol and push, as an object, price-first field names.
          conn.send({
            topic: legacy,
            type: 'snapshot',
            ts: batch.pushedAt,
            data: {
              updatedTime: latest.at,
              symbol: latest.market.id,
              side: latest.side === 'long' ? 'Buy' : 'Sell',
              size: qty(latest.market, latest.sizeBase),
              price: price(latest.market, latest.price),
            },
          });
        }
      }
    }
  },
};

export const bybit: VenueAdapter = {
  id: 'bybit',
  liquidationSampling: { windowMs: 500, keep: 'all' },
  routeOf: (request) => request.path,
  handle,
  errorReply,
  socket,
};

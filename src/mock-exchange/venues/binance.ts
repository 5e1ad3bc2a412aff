// Binance USDⓈ-M futures: the fapi REST routes ccxt's binanceusdm calls for markets, prices, funding, open interest,
// books and account ratios, and the futures market streams (forceOrder, markPrice, tickers) on any socket path.
import type { NonTradingListing } from '../listings.js';
import { QUARTERLY_BASIS } from '../listings.js';
import type { LiquidationEvent, MarketState, VenueMarket } from '../model.js';
import { accountShares, bookSide, dayStats, decimalsOf, fixed, nextFundingAt, roundTo, stateAtMs } from '../model.js';
import type { FaultSpec } from '../scenario.js';
import type {
  LiquidationBatch,
  RestReply,
  RestRequest,
  SocketConnection,
  VenueAdapter,
  VenueContext,
  VenueSocket,
} from '../venue.js';
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

const invalidSymbol = (): RestReply => jsonReply({ code: -1121, msg: 'Invalid symbol.' }, 400);
const missingParameter = (name: string): RestReply =>
  jsonReply({ code: -1102, msg: `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.` }, 400);

const LSR_PERIODS = new Set(['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d']);
const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000];

type Steps = Pick<VenueMarket, 'tickSize' | 'qtyStep'>;
const price = (m: Steps, value: number) => fixed(roundTo(value, m.tickSize), decimalsOf(m.tickSize));
const qty = (m: Steps, value: number) => fixed(roundTo(value, m.qtyStep), decimalsOf(m.qtyStep));

/** What an exchangeInfo entry needs of a market or of a non-trading listing. */
type Listed = Pick<VenueMarket, 'id' | 'base' | 'quote' | 'settle' | 'listedAt' | 'tickSize' | 'qtyStep'>;
/** `deliveryDate` of every perpetual that trades: 2100-12-25, Binance's "never". */
const PERPETUAL_DELIVERY_MS = 4133404800000;

/** The exchangeInfo fields of the non-trading listings: status, contract type, delivery (listings.ts). */
function listingStatus(listing: NonTradingListing): { status: string; contractType: string; deliveryDate: number } {
  switch (listing.kind) {
    case 'settling':
      // A delisting perpetual keeps its type; its delivery date becomes the delisting time.
      return {
        status: 'SETTLING',
        contractType: 'PERPETUAL',
        deliveryDate: listing.expiresAt ?? PERPETUAL_DELIVERY_MS,
      };
    case 'quarterly':
      return { status: 'TRADING', contractType: 'CURRENT_QUARTER', deliveryDate: listing.expiresAt ?? 0 };
    default:
      return { status: 'PENDING_TRADING', contractType: 'PERPETUAL', deliveryDate: PERPETUAL_DELIVERY_MS };
  }
}

function exchangeInfo(ctx: VenueContext): unknown {
  const settles = [...new Set(ctx.model.markets.map((m) => m.settle))];
  return {
    timezone: 'UTC',
    serverTime: ctx.now(),
    futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ],
    exchangeFilters: [],
    assets: settles.map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: '-10000' })),
    symbols: [
      ...ctx.model.markets.map((m) =>
        symbolInfo(m, { status: 'TRADING', contractType: 'PERPETUAL', deliveryDate: PERPETUAL_DELIVERY_MS }),
      ),
      ...ctx.model.nonTrading.map((listing) => symbolInfo(listing, listingStatus(listing))),
    ],
  };
}

function symbolInfo(
  m: Listed,
  how: { status: string; contractType: string; deliveryDate: number },
): Record<string, unknown> {
  return {
    symbol: m.id,
    pair: how.contractType === 'PERPETUAL' ? m.id : `${m.base}${m.quote}`,
    contractType: how.contractType,
    deliveryDate: how.deliveryDate,
    onboardDate: m.listedAt,
    status: how.status,
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: m.base,
    quoteAsset: m.quote,
    marginAsset: m.settle,
    pricePrecision: decimalsOf(m.tickSize),
    quantityPrecision: decimalsOf(m.qtyStep),
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: [],
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: fixed(m.tickSize, decimalsOf(m.tickSize)),
        maxPrice: '4529764',
        tickSize: fixed(m.tickSize, decimalsOf(m.tickSize)),
      },
      {
        filterType: 'LOT_SIZE',
        minQty: qty(m, m.qtyStep),
        maxQty: '1000000',
        stepSize: qty(m, m.qtyStep),
      },
      { filterType: 'MARKET_LOT_SIZE', minQty: qty(m, m.qtyStep), maxQty: '120000', stepSize: qty(m, m.qtyStep) },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
      { filterType: 'MIN_NOTIONAL', notional: '5' },
      { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
    permissionSets: ['GRID', 'COPY'],
  };
}

/** A blank funding rate is "" (with interestRate "" beside it), a blank next funding time 0, as for dated futures. */
function premiumIndex(m: VenueMarket, s: MarketState, now: number): unknown {
  const noFunding = m.blanks.has('fundingRate');
  return {
    symbol: m.id,
    markPrice: fixed(s.markPrice, 8),
    indexPrice: m.blanks.has('indexPrice') ? '' : fixed(s.indexPrice, 8),
    estimatedSettlePrice: fixed(s.indexPrice, 8),
    lastFundingRate: noFunding ? '' : fixed(s.fundingRate, 8),
    interestRate: noFunding ? '' : '0.00010000',
    nextFundingTime: m.blanks.has('nextFundingTime') ? 0 : nextFundingAt(m, now),
    time: now,
  };
}

/** A quarterly future in premiumIndex: no funding, so "" rates and nextFundingTime 0, as Binance sends them. */
function quarterlyPremiumIndex(listing: NonTradingListing, ctx: VenueContext, now: number): unknown {
  const twin = listing.twin;
  if (twin === null) return undefined;
  const s = stateAtMs(twin, ctx.startMs, now);
  return {
    symbol: listing.id,
    markPrice: fixed(s.markPrice * (1 + QUARTERLY_BASIS), 8),
    indexPrice: fixed(s.indexPrice, 8),
    estimatedSettlePrice: fixed(s.indexPrice, 8),
    lastFundingRate: '',
    interestRate: '',
    nextFundingTime: 0,
    time: now,
  };
}

function ticker24h(m: VenueMarket, ctx: VenueContext, now: number): Record<string, unknown> {
  const s = stateAtMs(m, ctx.startMs, now);
  const day = dayStats(m, ctx.startMs, now);
  const change = day.last - day.open;
  const baseVolume = s.volume24hUsd / s.price;
  return {
    symbol: m.id,
    priceChange: price(m, change),
    priceChangePercent: fixed((change / day.open) * 100, 3),
    weightedAvgPrice: price(m, (day.open + day.last) / 2),
    lastPrice: price(m, day.last),
    lastQty: qty(m, m.qtyStep * 3),
    openPrice: price(m, day.open),
    highPrice: price(m, day.high),
    lowPrice: price(m, day.low),
    volume: qty(m, baseVolume),
    quoteVolume: fixed(s.volume24hUsd, 2),
    openTime: now - 86_400_000,
    closeTime: now,
    firstId: 1_000_000,
    lastId: 1_000_000 + Math.round(s.volume24hUsd / 5000),
    count: Math.round(s.volume24hUsd / 5000) + 1,
  };
}

function depth(m: VenueMarket, ctx: VenueContext, limit: number): unknown {
  const now = ctx.now();
  const s = stateAtMs(m, ctx.startMs, now);
  const side = (which: 'bids' | 'asks') =>
    bookSide(m, s, which)
      .slice(0, limit)
      .map((level) => [price(m, level.price), qty(m, level.amount)]);
  return { lastUpdateId: now * 10, E: now, T: now - 3, bids: side('bids'), asks: side('asks') };
}

function handle(request: RestRequest, ctx: VenueContext): RestReply {
  const { query } = request;
  const now = ctx.now();
  const bySymbol = (): VenueMarket | RestReply => {
    const id = query.get('symbol');
    if (id === null || id === '') return missingParameter('symbol');
    return ctx.model.byId.get(id.toUpperCase()) ?? invalidSymbol();
  };
  switch (request.path) {
    case '/fapi/v1/ping':
      return jsonReply({});
    case '/fapi/v1/time':
      return jsonReply({ serverTime: now });
    case '/fapi/v1/exchangeInfo':
      return jsonReply(exchangeInfo(ctx));
    case '/fapi/v1/premiumIndex': {
      if (query.get('symbol') !== null) {
        const m = bySymbol();
        if (isReply(m)) return m;
        return jsonReply(premiumIndex(m, stateAtMs(m, ctx.startMs, now), now));
      }
      const dated = ctx.model.nonTrading.filter((listing) => listing.kind === 'quarterly');
      return jsonReply([
        ...ctx.model.markets.map((m) => premiumIndex(m, stateAtMs(m, ctx.startMs, now), now)),
        ...dated.map((listing) => quarterlyPremiumIndex(listing, ctx, now)).filter((item) => item !== undefined),
      ]);
    }
    case '/fapi/v1/openInterest': {
      const m = bySymbol();
      if (isReply(m)) return m;
      const s = stateAtMs(m, ctx.startMs, now);
      return jsonReply({ openInterest: qty(m, s.openInterestUsd / s.markPrice), symbol: m.id, time: now });
    }
    case '/fapi/v1/ticker/24hr': {
      if (query.get('symbol') !== null) {
        const m = bySymbol();
        if (isReply(m)) return m;
        return jsonReply(ticker24h(m, ctx, now));
      }
      return jsonReply(ctx.model.markets.map((m) => ticker24h(m, ctx, now)));
    }
    case '/fapi/v1/ticker/bookTicker': {
      const one = (m: VenueMarket) => {
        const s = stateAtMs(m, ctx.startMs, now);
        const bid = bookSide(m, s, 'bids')[0];
        const ask = bookSide(m, s, 'asks')[0];
        return {
          symbol: m.id,
          bidPrice: price(m, bid?.price ?? s.price),
          bidQty: qty(m, bid?.amount ?? 0),
          askPrice: price(m, ask?.price ?? s.price),
          askQty: qty(m, ask?.amount ?? 0),
          time: now,
        };
      };
      if (query.get('symbol') !== null) {
        const m = bySymbol();
        return isReply(m) ? m : jsonReply(one(m));
      }
      return jsonReply(ctx.model.markets.map(one));
    }
    case '/fapi/v1/fundingInfo':
      // Only symbols whose interval (or cap) differs from the default are listed, as on the real venue.
      return jsonReply(
        ctx.model.markets
          .filter((m) => m.fundingIntervalHours !== 8)
          .map((m) => ({
            symbol: m.id,
            adjustedFundingRateCap: '0.02000000',
            adjustedFundingRateFloor: '-0.02000000',
            fundingIntervalHours: m.fundingIntervalHours,
            disclaimer: false,
          })),
      );
    case '/fapi/v1/fundingRate': {
      const m = bySymbol();
      if (isReply(m)) return m;
      const interval = m.fundingIntervalHours * 3_600_000;
      const limit = clamp(intParam(query, 'limit') ?? 100, 1, 1000);
      const times = historyGrid(now, interval, limit, intParam(query, 'startTime'), intParam(query, 'endTime'));
      return jsonReply(
        times.map((t) => {
          const s = stateAtMs(m, ctx.startMs, t);
          return {
            symbol: m.id,
            fundingTime: t,
            fundingRate: fixed(s.fundingRate, 8),
            markPrice: fixed(s.markPrice, 8),
          };
        }),
      );
    }
    case '/fapi/v1/depth': {
      const m = bySymbol();
      if (isReply(m)) return m;
      const asked = intParam(query, 'limit') ?? 500;
      if (!DEPTH_LIMITS.includes(asked)) return jsonReply({ code: -1130, msg: 'Invalid limit.' }, 400);
      return jsonReply(depth(m, ctx, asked));
    }
    case '/futures/data/globalLongShortAccountRatio':
    case '/futures/data/openInterestHist': {
      const m = bySymbol();
      if (isReply(m)) return m;
      const period = query.get('period') ?? '';
      const ms = periodMs(period);
      if (!LSR_PERIODS.has(period) || ms === undefined) {
        return jsonReply({ code: -1130, msg: "Data sent for parameter 'period' is not valid." }, 400);
      }
      const limit = clamp(intParam(query, 'limit') ?? 30, 1, 500);
      const times = historyGrid(now, ms, limit, intParam(query, 'startTime'), intParam(query, 'endTime'));
      if (request.path === '/futures/data/openInterestHist') {
        return jsonReply(
          times.map((t) => {
            const s = stateAtMs(m, ctx.startMs, t);
            return {
              symbol: m.id,
              sumOpenInterest: fixed(s.openInterestUsd / s.markPrice, 8),
              sumOpenInterestValue: fixed(s.openInterestUsd, 8),
              CMCCirculatingSupply: '0',
              timestamp: t,
            };
          }),
        );
      }
      return jsonReply(
        times.map((t) => {
          const ratio = stateAtMs(m, ctx.startMs, t).longShortRatio;
          const shares = accountShares(ratio);
          return {
            symbol: m.id,
            longAccount: fixed(shares.long, 4),
            longShortRatio: fixed(ratio, 4),
            shortAccount: fixed(shares.short, 4),
            timestamp: t,
          };
        }),
      );
    }
    default:
      return htmlReply(404);
  }
}

function errorReply(fault: FaultSpec, ctx: VenueContext): RestReply {
  const retryAfter = 'retryAfterSec' in fault ? fault.retryAfterSec : undefined;
  const tooMany = () =>
    jsonReply(
      {
        code: -1003,
        msg: 'Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.',
      },
      429,
      retryAfterHeader(retryAfter ?? 60),
    );
  const banned = () => {
    const until = ctx.now() + (retryAfter ?? 120) * 1000;
    return jsonReply(
      {
        code: -1003,
        msg: `Way too many requests; IP(127.0.0.1) banned until ${until}. Please use the websocket for live updates to avoid bans.`,
      },
      418,
      retryAfterHeader(retryAfter ?? 120),
    );
  };
  switch (fault.kind) {
    case 'rateLimit':
      return tooMany();
    case 'ipBan':
      return banned();
    case 'badSymbol':
      return invalidSymbol();
    case 'status': {
      const headers = retryAfterHeader(fault.retryAfterSec);
      if (fault.status === 429) return tooMany();
      if (fault.status === 418) return banned();
      if (fault.status === 400) return invalidSymbol();
      if (fault.status === 401) {
        return jsonReply({ code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }, 401, headers);
      }
      if (fault.status === 408) {
        return jsonReply(
          {
            code: -1007,
            msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
          },
          408,
          headers,
        );
      }
      return htmlReply(fault.status, undefined, headers);
    }
    default:
      return htmlReply(500);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Streams

function markPriceEvent(m: VenueMarket, ctx: VenueContext, now: number): unknown {
  const s = stateAtMs(m, ctx.startMs, now);
  return {
    e: 'markPriceUpdate',
    E: now,
    s: m.id,
    p: fixed(s.markPrice, 8),
    ap: fixed(s.markPrice, 8),
    P: fixed(s.indexPrice, 8),
    i: m.blanks.has('indexPrice') ? '' : fixed(s.indexPrice, 8),
    r: m.blanks.has('fundingRate') ? '' : fixed(s.fundingRate, 8),
    T: m.blanks.has('nextFundingTime') ? 0 : nextFundingAt(m, now),
  };
}

function tickerEvent(m: VenueMarket, ctx: VenueContext, now: number, mini: boolean): unknown {
  const t = ticker24h(m, ctx, now);
  const common = { E: now, s: m.id, c: t['lastPrice'], o: t['openPrice'], h: t['highPrice'], l: t['lowPrice'] };
  if (mini) return { e: '24hrMiniTicker', ...common, v: t['volume'], q: t['quoteVolume'] };
  return {
    e: '24hrTicker',
    ...common,
    p: t['priceChange'],
    P: t['priceChangePercent'],
    w: t['weightedAvgPrice'],
    Q: t['lastQty'],
    v: t['volume'],
    q: t['quoteVolume'],
    O: t['openTime'],
    C: t['closeTime'],
    F: t['firstId'],
    L: t['lastId'],
    n: t['count'],
  };
}

function forceOrderEvent(event: LiquidationEvent, pushedAt: number): unknown {
  const m = event.market;
  const amount = qty(m, event.sizeBase);
  return {
    e: 'forceOrder',
    E: pushedAt,
    o: {
      s: m.id,
      // The side of the liquidation ORDER: a long position is closed by a SELL.
      S: event.side === 'long' ? 'SELL' : 'BUY',
      o: 'LIMIT',
      f: 'IOC',
      q: amount,
      p: price(m, event.price * (event.side === 'long' ? 0.995 : 1.005)),
      ap: price(m, event.price),
      X: 'FILLED',
      l: amount,
      z: amount,
      T: event.at,
    },
  };
}

function send(conn: SocketConnection, stream: string, data: unknown): void {
  conn.send(conn.combined ? { stream, data } : data);
}

/** `btcusdt@markPrice@1s` -> the market and the stream kind; `undefined` for names this mock does not serve. */
function parseStream(name: string, ctx: VenueContext): { market?: VenueMarket; kind: string } | undefined {
  if (name.startsWith('!')) return { kind: name };
  const at = name.indexOf('@');
  if (at < 0) return undefined;
  const market = ctx.model.byId.get(name.slice(0, at).toUpperCase());
  if (market === undefined) return undefined;
  return { market, kind: name.slice(at + 1) };
}

const socket: VenueSocket = {
  onOpen(conn) {
    // Raw streams in the path (`/ws/btcusdt@forceOrder`) or combined ones in the query (`/stream?streams=a/b`).
    const streams = conn.query.get('streams');
    if (streams !== null) {
      conn.combined = true;
      for (const name of streams.split('/')) if (name !== '') conn.subscriptions.add(name);
      return;
    }
    const last = conn.path.split('/').pop() ?? '';
    if (last.includes('@')) for (const name of last.split('/')) conn.subscriptions.add(name);
  },
  onMessage(conn, text) {
    let message: { method?: unknown; params?: unknown; id?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      conn.send({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id: null });
      return;
    }
    const id = message.id ?? null;
    const params = Array.isArray(message.params)
      ? message.params.filter((p): p is string => typeof p === 'string')
      : [];
    switch (message.method) {
      case 'SUBSCRIBE':
        for (const name of params) conn.subscriptions.add(name);
        conn.send({ result: null, id });
        return;
      case 'UNSUBSCRIBE':
        for (const name of params) conn.subscriptions.delete(name);
        conn.send({ result: null, id });
        return;
      case 'LIST_SUBSCRIPTIONS':
        conn.send({ result: [...conn.subscriptions], id });
        return;
      case 'SET_PROPERTY':
        conn.send({ result: null, id });
        return;
      case 'GET_PROPERTY':
        conn.send({ result: conn.combined, id });
        return;
      default:
        conn.send({ error: { code: 2, msg: `Invalid request: unknown method '${String(message.method)}'` }, id });
    }
  },
  tick(conns, ctx, wallNow) {
    const now = ctx.now();
    for (const conn of conns) {
      for (const name of conn.subscriptions) {
        const stream = parseStream(name, ctx);
        if (stream === undefined) continue;
        const { market, kind } = stream;
        if (market === undefined) {
          if (kind === '!markPrice@arr@1s' || kind === '!markPrice@arr') {
            if (periodicDue(conn, name, kind.endsWith('@1s') ? 1000 : 3000, wallNow)) {
              send(
                conn,
                name,
                ctx.model.markets.map((m) => markPriceEvent(m, ctx, now)),
              );
            }
          } else if (kind === '!ticker@arr' || kind === '!miniTicker@arr') {
            if (periodicDue(conn, name, 1000, wallNow)) {
              const mini = kind === '!miniTicker@arr';
              send(
                conn,
                name,
                ctx.model.markets.map((m) => tickerEvent(m, ctx, now, mini)),
              );
            }
          }
          continue;
        }
        if (kind === 'markPrice@1s' || kind === 'markPrice') {
          if (periodicDue(conn, name, kind.endsWith('@1s') ? 1000 : 3000, wallNow)) {
            send(conn, name, markPriceEvent(market, ctx, now));
          }
        } else if (kind === 'ticker' || kind === 'miniTicker') {
          if (periodicDue(conn, name, 1000, wallNow))
            send(conn, name, tickerEvent(market, ctx, now, kind === 'miniTicker'));
        }
      }
    }
  },
  pushLiquidations(conns, batches: readonly LiquidationBatch[]) {
    for (const batch of batches) {
      const own = `${batch.market.id.toLowerCase()}@forceOrder`;
      for (const event of batch.events) {
        const message = forceOrderEvent(event, batch.pushedAt);
        for (const conn of conns) {
          if (conn.subscriptions.has(own)) send(conn, own, message);
          else if (conn.subscriptions.has('!forceOrder@arr')) send(conn, '!forceOrder@arr', message);
        }
      }
    }
  },
};

export const binance: VenueAdapter = {
  id: 'binanceusdm',
  liquidationSampling: { windowMs: 1000, keep: 'latest' },
  routeOf: (request) => request.path,
  handle,
  errorReply,
  socket,
};

// OKX v5: the public and market REST routes ccxt's okx calls for SWAP instruments (every answer in the
// {code, msg, data} envelope; linear USDT/USDC swaps plus the inverse BASE-USD-SWAP twins the real venue lists), the
// index tickers of their underlyings (BTC-USDT, BTC-USD), and
// the public socket /ws/v5/public (liquidation-orders, mark-price, funding-rate, tickers; text ping -> pong).
import type { NonTradingListing } from '../listings.js';
import type { LiquidationEvent, MarketState, VenueMarket } from '../model.js';
import { bookSide, dayStats, decimalsOf, nextFundingAt, roundTo, stateAtMs, trimmed } from '../model.js';
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

const px = (m: Pick<VenueMarket, 'tickSize'>, value: number) =>
  trimmed(roundTo(value, m.tickSize), decimalsOf(m.tickSize));
const contracts = (m: Pick<VenueMarket, 'qtyStep'>, value: number) =>
  trimmed(roundTo(value, m.qtyStep), decimalsOf(m.qtyStep));
/** Base units (linear) or USD (inverse) to contracts. */
const toContracts = (m: VenueMarket, amount: number) => amount / m.contractSize;

const ok = (data: unknown[]): RestReply => jsonReply({ code: '0', msg: '', data });
const fail = (code: string, msg: string, status = 200): RestReply => jsonReply({ code, msg, data: [] }, status);
const noInstrument = () => fail('51001', "Instrument ID or Spread ID doesn't exist.");
const emptyParam = (name: string) => fail('50014', `Parameter ${name} can not be empty.`, 400);

const instFamily = (m: Pick<VenueMarket, 'base' | 'quote'>) => `${m.base}-${m.quote}`;

/** The instrument state of each kind of non-trading listing (listings.ts). */
const LISTING_STATE: Partial<Record<NonTradingListing['kind'], string>> = {
  preopen: 'preopen',
  suspend: 'suspend',
  quarterly: 'live',
};

/** A swap listing that does not trade: preopen, suspended, or OKX's broken preopen entry with no instId. */
function listingInstrument(listing: NonTradingListing, instType: 'SWAP' | 'FUTURES'): Record<string, unknown> {
  if (listing.kind === 'placeholder') return { instId: '', instType, state: 'preopen' };
  const twin = listing.twin;
  const family = `${listing.base}-${listing.quote}`;
  const stepped = (value: number, step: number) => trimmed(roundTo(value, step), decimalsOf(step));
  return {
    ...instrument(twin ?? { ...listing, contractSize: 10, linear: true, index: 0 }),
    alias: listing.kind === 'quarterly' ? 'quarter' : '',
    ctVal: trimmed(twin?.contractSize ?? 10, 10),
    expTime: listing.expiresAt === null ? '' : String(listing.expiresAt),
    instFamily: family,
    instId: listing.id,
    instType,
    listTime: String(listing.listedAt),
    contTdSwTime: String(listing.listedAt),
    lotSz: stepped(listing.qtyStep, listing.qtyStep),
    minSz: stepped(listing.qtyStep, listing.qtyStep),
    state: LISTING_STATE[listing.kind] ?? 'suspend',
    tickSz: stepped(listing.tickSize, listing.tickSize),
    uly: family,
  };
}

function instrument(
  m: Pick<VenueMarket, 'id' | 'base' | 'quote' | 'settle' | 'linear' | 'contractSize' | 'index' | 'listedAt'> &
    Pick<VenueMarket, 'maxLeverage' | 'qtyStep' | 'tickSize'>,
): Record<string, unknown> {
  return {
    alias: '',
    auctionEndTime: '',
    baseCcy: '',
    category: '1',
    contTdSwTime: String(m.listedAt),
    ctMult: '1',
    ctType: m.linear ? 'linear' : 'inverse',
    ctVal: trimmed(m.contractSize, 10),
    ctValCcy: m.linear ? m.base : 'USD',
    expTime: '',
    futureSettlement: false,
    instFamily: instFamily(m),
    instId: m.id,
    instIdCode: 10_000 + m.index,
    instType: 'SWAP',
    lever: String(m.maxLeverage),
    listTime: String(m.listedAt),
    lotSz: contracts(m, m.qtyStep),
    maxIcebergSz: '100000000',
    maxLmtAmt: '20000000',
    maxLmtSz: '100000000',
    maxMktAmt: '',
    maxMktSz: '12000',
    maxStopSz: '12000',
    maxTriggerSz: '100000000',
    maxTwapSz: '100000000',
    minSz: contracts(m, m.qtyStep),
    openType: 'call_auction',
    optType: '',
    quoteCcy: '',
    ruleType: 'normal',
    settleCcy: m.settle,
    state: 'live',
    stk: '',
    tickSz: px(m, m.tickSize),
    tradeQuoteCcyList: [],
    uly: instFamily(m),
  };
}

function fundingRate(m: VenueMarket, s: MarketState, now: number): Record<string, string> {
  const next = nextFundingAt(m, now);
  const noRate = m.blanks.has('fundingRate');
  const noTime = m.blanks.has('nextFundingTime');
  return {
    formulaType: 'withRate',
    fundingRate: noRate ? '' : trimmed(s.fundingRate, 16),
    fundingTime: noTime ? '' : String(next),
    impactValue: '',
    instId: m.id,
    instType: 'SWAP',
    interestRate: '0.0001',
    maxFundingRate: '0.02',
    method: 'current_period',
    minFundingRate: '-0.02',
    nextFundingRate: '',
    nextFundingTime: noTime ? '' : String(next + m.fundingIntervalHours * 3_600_000),
    premium: m.blanks.has('premium') ? '' : trimmed(s.premium, 16),
    settFundingRate: noRate ? '' : trimmed(s.fundingRate, 16),
    settState: 'settled',
    ts: String(now),
  };
}

function openInterest(m: VenueMarket, s: MarketState, now: number): Record<string, string> {
  const coins = s.openInterestUsd / s.markPrice;
  const oi = roundTo(toContracts(m, m.linear ? coins : s.openInterestUsd), m.qtyStep);
  const oiCoins = m.linear ? oi * m.contractSize : (oi * m.contractSize) / s.markPrice;
  if (m.blanks.has('openInterest'))
    return { instId: m.id, instType: 'SWAP', oi: '', oiCcy: '', oiUsd: '', ts: String(now) };
  return {
    instId: m.id,
    instType: 'SWAP',
    oi: contracts(m, oi),
    oiCcy: trimmed(oiCoins, 8),
    oiUsd: trimmed(oiCoins * s.markPrice, 4),
    ts: String(now),
  };
}

function ticker(m: VenueMarket, ctx: VenueContext, now: number): Record<string, string> {
  const s = stateAtMs(m, ctx.startMs, now);
  const day = dayStats(m, ctx.startMs, now);
  const bid = bookSide(m, s, 'bids')[0];
  const ask = bookSide(m, s, 'asks')[0];
  const coins = s.volume24hUsd / s.price;
  const dayStartUtc = Math.floor(now / 86_400_000) * 86_400_000;
  return {
    instType: 'SWAP',
    instId: m.id,
    last: px(m, s.price),
    lastSz: contracts(m, m.qtyStep * 10),
    askPx: px(m, ask?.price ?? s.price),
    askSz: contracts(m, toContracts(m, ask?.amount ?? 0)),
    bidPx: px(m, bid?.price ?? s.price),
    bidSz: contracts(m, toContracts(m, bid?.amount ?? 0)),
    open24h: px(m, day.open),
    high24h: px(m, day.high),
    low24h: px(m, day.low),
    // For swaps: vol24h in contracts, volCcy24h in base currency.
    volCcy24h: trimmed(coins, 8),
    vol24h: contracts(m, toContracts(m, m.linear ? coins : s.volume24hUsd)),
    ts: String(now),
    sodUtc0: px(m, stateAtMs(m, ctx.startMs, dayStartUtc).price),
    sodUtc8: px(m, stateAtMs(m, ctx.startMs, dayStartUtc - 8 * 3_600_000).price),
  };
}

/**
 * The index of a swap's underlying (BTC-USDT-SWAP and BTC-USD-SWAP are marked against BTC-USDT and BTC-USD): the
 * scenario's index, price / (1 + premium), as the Binance and Bybit mocks send it. Its 24 h range is the index at
 * the window's ends and at the price keyframes inside it (precomputed, as the price's), which is close enough while
 * the premium stays small.
 */
function indexTicker(m: VenueMarket, ctx: VenueContext, now: number): Record<string, string> {
  const indexAt = (atMs: number) => stateAtMs(m, ctx.startMs, atMs).indexPrice;
  const dayAgo = now - 86_400_000;
  const open = indexAt(dayAgo);
  const last = indexAt(now);
  const inside = m.knotIndexRange((dayAgo - ctx.startMs) / 1000, (now - ctx.startMs) / 1000);
  const dayStartUtc = Math.floor(now / 86_400_000) * 86_400_000;
  return {
    instId: instFamily(m),
    idxPx: m.blanks.has('indexPrice') ? '' : px(m, last),
    high24h: px(m, Math.max(open, last, inside?.high ?? -Infinity)),
    low24h: px(m, Math.min(open, last, inside?.low ?? Infinity)),
    open24h: px(m, open),
    sodUtc0: px(m, indexAt(dayStartUtc)),
    sodUtc8: px(m, indexAt(dayStartUtc - 8 * 3_600_000)),
    ts: String(now),
  };
}

function markPrice(m: VenueMarket, s: MarketState, now: number): Record<string, string> {
  return { instType: 'SWAP', instId: m.id, markPx: px(m, s.markPrice), ts: String(now) };
}

function positionTiers(m: VenueMarket, s: MarketState): unknown[] {
  const firstContracts = Math.max(
    100,
    Math.round(toContracts(m, Math.max(200_000, s.openInterestUsd / 100) / (m.linear ? s.markPrice : 1)) / 100) * 100,
  );
  return [1, 2, 4, 8, 16].map((multiple, i) => {
    const leverage = Math.max(1, Math.floor(m.maxLeverage / Math.pow(2, i)));
    return {
      baseMaxLoan: '',
      imr: trimmed(1 / leverage, 4),
      instFamily: instFamily(m),
      instId: '',
      maxLever: String(leverage),
      maxSz: String(firstContracts * multiple),
      minSz: i === 0 ? '0' : String(firstContracts * (multiple / 2)),
      mmr: trimmed(0.004 * Math.pow(2, i), 4),
      optMgnFactor: '0',
      quoteMaxLoan: '',
      tier: String(i + 1),
      uly: instFamily(m),
    };
  });
}

const OKX_PERIODS = new Set([
  '5m',
  '15m',
  '30m',
  '1H',
  '2H',
  '4H',
  '6H',
  '12H',
  '1D',
  '2D',
  '3D',
  '5D',
  '1W',
  '1M',
  '3M',
]);

function handle(request: RestRequest, ctx: VenueContext): RestReply {
  const { query } = request;
  const now = ctx.now();
  const instType = query.get('instType');
  const instId = query.get('instId');
  const family = query.get('instFamily') ?? query.get('uly');
  /** SWAP markets filtered by instId / instFamily; an unknown instId is an error. */
  const swaps = (): VenueMarket[] | RestReply => {
    let markets = ctx.model.markets;
    if (family !== null && family !== '') markets = markets.filter((m) => instFamily(m) === family);
    if (instId !== null && instId !== '') {
      const m = ctx.model.byId.get(instId);
      if (m === undefined) return noInstrument();
      markets = markets.filter((x) => x === m);
    }
    return markets;
  };
  const needType = (): RestReply | undefined => {
    if (instType === null || instType === '') return emptyParam('instType');
    if (!['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(instType))
      return fail('51000', 'Parameter instType error');
    return undefined;
  };
  const one = (): VenueMarket | RestReply => {
    if (instId === null || instId === '') return emptyParam('instId');
    return ctx.model.byId.get(instId) ?? noInstrument();
  };
  switch (request.path) {
    case '/api/v5/public/time':
      return ok([{ ts: String(now) }]);
    case '/api/v5/public/instruments': {
      const problem = needType();
      if (problem !== undefined) return problem;
      // Futures are listed only when asked for (ccxt, loading swaps only, never is).
      if (instType === 'FUTURES') {
        const dated = ctx.model.nonTrading.filter((l) => l.kind === 'quarterly');
        return ok(dated.map((l) => listingInstrument(l, 'FUTURES')));
      }
      if (instType !== 'SWAP') return ok([]);
      const markets = swaps();
      if (isReply(markets)) return markets;
      const filtered = (family !== null && family !== '') || (instId !== null && instId !== '');
      const others = filtered ? [] : ctx.model.nonTrading.filter((l) => l.kind !== 'quarterly');
      return ok([...markets.map(instrument), ...others.map((l) => listingInstrument(l, 'SWAP'))]);
    }
    case '/api/v5/public/funding-rate': {
      if (instId === null || instId === '') return emptyParam('instId');
      if (instId === 'ANY') {
        return ok(ctx.model.markets.map((m) => fundingRate(m, stateAtMs(m, ctx.startMs, now), now)));
      }
      const m = one();
      return isReply(m) ? m : ok([fundingRate(m, stateAtMs(m, ctx.startMs, now), now)]);
    }
    case '/api/v5/public/funding-rate-history': {
      const m = one();
      if (isReply(m)) return m;
      const limit = clamp(intParam(query, 'limit') ?? 100, 1, 400);
      const times = historyGrid(now, m.fundingIntervalHours * 3_600_000, limit, undefined, intParam(query, 'after'));
      return ok(
        times.reverse().map((t) => {
          const rate = trimmed(stateAtMs(m, ctx.startMs, t).fundingRate, 16);
          return {
            formulaType: 'withRate',
            fundingRate: rate,
            fundingTime: String(t),
            instId: m.id,
            instType: 'SWAP',
            method: 'current_period',
            realizedRate: rate,
          };
        }),
      );
    }
    case '/api/v5/public/open-interest':
    case '/api/v5/public/mark-price': {
      // ccxt's fetchMarkPrice sends instId without instType; the mock accepts that (the docs mark instType required).
      const lenient = request.path.endsWith('mark-price') && instId !== null && instId !== '' && instType === null;
      const problem = lenient ? undefined : needType();
      if (problem !== undefined) return problem;
      if (!lenient && instType !== 'SWAP') return ok([]);
      const markets = swaps();
      if (isReply(markets)) return markets;
      const build = request.path.endsWith('open-interest') ? openInterest : markPrice;
      return ok(markets.map((m) => build(m, stateAtMs(m, ctx.startMs, now), now)));
    }
    case '/api/v5/market/tickers': {
      const problem = needType();
      if (problem !== undefined) return problem;
      if (instType !== 'SWAP') return ok([]);
      const markets = swaps();
      return isReply(markets) ? markets : ok(markets.map((m) => ticker(m, ctx, now)));
    }
    case '/api/v5/market/index-tickers': {
      // OKX asks for one of the two; quoteCcy lists every index in that currency (USDT, USDC, USD...).
      const quoteCcy = query.get('quoteCcy');
      const wantId = instId !== null && instId !== '';
      if (!wantId && (quoteCcy === null || quoteCcy === '')) return emptyParam('quoteCcy');
      const indexes = new Map<string, VenueMarket>();
      for (const m of ctx.model.markets) {
        if (wantId ? instFamily(m) !== instId : m.quote !== quoteCcy) continue;
        if (!indexes.has(instFamily(m))) indexes.set(instFamily(m), m);
      }
      if (wantId && indexes.size === 0) return noInstrument();
      return ok([...indexes.values()].map((m) => indexTicker(m, ctx, now)));
    }
    case '/api/v5/market/ticker': {
      const m = one();
      return isReply(m) ? m : ok([ticker(m, ctx, now)]);
    }
    case '/api/v5/market/books':
    case '/api/v5/market/books-full': {
      const m = one();
      if (isReply(m)) return m;
      const max = request.path.endsWith('full') ? 5000 : 400;
      const size = clamp(intParam(query, 'sz') ?? 1, 1, max);
      const s = stateAtMs(m, ctx.startMs, now);
      // [price, size in contracts, deprecated liquidated-orders field, number of orders]
      const levels = (side: 'bids' | 'asks') =>
        bookSide(m, s, side)
          .slice(0, size)
          .map((l) => [px(m, l.price), contracts(m, toContracts(m, l.amount)), '0', String(l.orders)]);
      // REST books carry no seqId (only the socket's books channel does).
      return ok([{ asks: levels('asks'), bids: levels('bids'), ts: String(now) }]);
    }
    case '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract': {
      const m = one();
      if (isReply(m)) return m;
      const period = query.get('period') ?? '5m';
      const ms = periodMs(period);
      if (!OKX_PERIODS.has(period) || ms === undefined) return fail('50014', 'Parameter period error', 400);
      const limit = clamp(intParam(query, 'limit') ?? 100, 1, 100);
      const times = historyGrid(now, ms, limit, intParam(query, 'begin'), intParam(query, 'end'));
      return ok(times.reverse().map((t) => [String(t), String(stateAtMs(m, ctx.startMs, t).longShortRatio)]));
    }
    case '/api/v5/public/position-tiers': {
      const problem = needType();
      if (problem !== undefined) return problem;
      const tdMode = query.get('tdMode');
      if (tdMode === null || tdMode === '') return emptyParam('tdMode');
      if (instType !== 'SWAP') return ok([]);
      if (family === null || family === '') return fail('51000', 'Parameter uly or instFamily error', 400);
      const markets = ctx.model.markets.filter((m) => instFamily(m) === family);
      if (markets.length === 0) return noInstrument();
      return ok(markets.flatMap((m) => positionTiers(m, stateAtMs(m, ctx.startMs, now))));
    }
    default:
      return htmlReply(404);
  }
}

function errorReply(fault: FaultSpec): RestReply {
  const retryAfter = 'retryAfterSec' in fault ? fault.retryAfterSec : undefined;
  const tooMany = () => jsonReply({ msg: 'Too Many Requests', code: '50011' }, 429, retryAfterHeader(retryAfter));
  switch (fault.kind) {
    case 'rateLimit':
    case 'ipBan':
      return tooMany();
    case 'badSymbol':
      return noInstrument();
    case 'status':
      if (fault.status === 429) return tooMany();
      return htmlReply(fault.status, undefined, retryAfterHeader(fault.retryAfterSec));
    default:
      return htmlReply(500);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public socket

interface Arg {
  channel: string;
  instId?: string;
  instType?: string;
  instFamily?: string;
}

const keyOf = (arg: Arg) => JSON.stringify([arg.channel, arg.instId ?? '', arg.instType ?? '', arg.instFamily ?? '']);
const argOf = (key: string): Arg => {
  const [channel, instId, instType, instFamily] = JSON.parse(key) as [string, string, string, string];
  return {
    channel,
    ...(instId === '' ? {} : { instId }),
    ...(instType === '' ? {} : { instType }),
    ...(instFamily === '' ? {} : { instFamily }),
  };
};

/** Pushes per channel, wall ms (the real venue: mark price on change or every 10 s, funding every 30 to 90 s). */
const PUSH_EVERY: Record<string, number> = { 'mark-price': 1000, tickers: 1000, 'funding-rate': 5000 };

export type PositionMode = 'net' | 'longShort' | 'mixed';

/**
 * posSide of a liquidation: "net" for an account in net mode (the side then follows from the order side), the
 * position's side in long/short mode. Mixed: every fourth second's liquidations long/short, the rest net.
 */
export function posSideOf(event: LiquidationEvent, mode: PositionMode): string {
  const hedged = mode === 'longShort' || (mode === 'mixed' && Math.floor(event.at / 1000) % 4 === 3);
  return hedged ? event.side : 'net';
}

function liquidationData(event: LiquidationEvent, mode: PositionMode): unknown {
  const m = event.market;
  return {
    details: [
      {
        bkLoss: '0',
        bkPx: px(m, event.price),
        ccy: '',
        // side is the liquidation order's side (a long is closed by a sell); posSide the position, or "net".
        posSide: posSideOf(event, mode),
        side: event.side === 'long' ? 'sell' : 'buy',
        sz: contracts(m, toContracts(m, m.linear ? event.sizeBase : event.sizeUsd)),
        ts: String(event.at),
      },
    ],
    instFamily: instFamily(m),
    instId: m.id,
    instType: 'SWAP',
    uly: instFamily(m),
  };
}

const socket: VenueSocket = {
  onOpen() {},
  onMessage(conn, text, ctx) {
    if (text === 'ping') {
      conn.send('pong');
      return;
    }
    let message: { op?: unknown; args?: unknown; id?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      conn.send({ event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: conn.connId });
      return;
    }
    const op = message.op;
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      conn.send({ event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: conn.connId });
      return;
    }
    const args = Array.isArray(message.args) ? (message.args as Arg[]) : [];
    const id = typeof message.id === 'string' ? { id: message.id } : {};
    for (const arg of args) {
      if (typeof arg?.channel !== 'string') {
        conn.send({ event: 'error', code: '60012', msg: `Illegal request: ${text}`, connId: conn.connId, ...id });
        continue;
      }
      if (arg.instId !== undefined && !ctx.model.byId.has(arg.instId)) {
        conn.send({
          event: 'error',
          code: '60018',
          msg: `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
          connId: conn.connId,
          ...id,
        });
        continue;
      }
      const key = keyOf(arg);
      if (op === 'subscribe') conn.subscriptions.add(key);
      else {
        conn.subscriptions.delete(key);
        conn.lastPush.delete(key);
      }
      conn.send({ ...id, event: op, arg, connId: conn.connId });
      if (op === 'subscribe' && arg.channel === 'liquidation-orders' && ctx.replayOnSubscribe > 0) {
        const backlog = ctx
          .recentLiquidations()
          .flatMap((batch) => batch.events)
          .slice(-ctx.replayOnSubscribe);
        if (backlog.length > 0) {
          conn.send({ arg, data: backlog.map((event) => liquidationData(event, ctx.positionMode)) });
        }
      }
    }
  },
  tick(conns, ctx, wallNow) {
    const now = ctx.now();
    for (const conn of conns) {
      for (const key of conn.subscriptions) {
        const arg = argOf(key);
        const every = PUSH_EVERY[arg.channel];
        if (every === undefined || arg.instId === undefined) continue;
        const m = ctx.model.byId.get(arg.instId);
        if (m === undefined || !periodicDue(conn, key, every, wallNow)) continue;
        const s = stateAtMs(m, ctx.startMs, now);
        const data =
          arg.channel === 'mark-price'
            ? markPrice(m, s, now)
            : arg.channel === 'tickers'
              ? ticker(m, ctx, now)
              : fundingRate(m, s, now);
        conn.send({ arg, data: [data] });
      }
    }
  },
  pushLiquidations(conns, batches: readonly LiquidationBatch[], ctx) {
    if (batches.length === 0) return;
    // One data item per liquidation (ccxt reads only details[0] of each item).
    const data = batches.flatMap((batch) => batch.events.map((event) => liquidationData(event, ctx.positionMode)));
    for (const conn of conns) {
      for (const key of conn.subscriptions) {
        const arg = argOf(key);
        if (arg.channel !== 'liquidation-orders' || arg.instType !== 'SWAP') continue;
        conn.send({ arg, data });
      }
    }
  },
};

export const okx: VenueAdapter = {
  id: 'okx',
  liquidationSampling: { windowMs: 1000, keep: 'latest' },
  routeOf: (request) => request.path,
  handle,
  errorReply,
  socket,
};

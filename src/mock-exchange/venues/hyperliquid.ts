// Hyperliquid: POST /info with the request types ccxt's hyperliquid sends (metaAndAssetCtxs for markets, funding,
// open interest and tickers; l2Book for books) and the /ws socket (allMids, ping). There is no liquidation stream.
import type { NonTradingListing } from '../listings.js';
import type { MarketState, VenueMarket } from '../model.js';
import { bookSide, dayStats, stateAtMs, trimmed } from '../model.js';
import type { FaultSpec } from '../scenario.js';
import type { RestReply, RestRequest, VenueAdapter, VenueContext, VenueSocket } from '../venue.js';
import { htmlReply, jsonReply, periodicDue, retryAfterHeader, textReply } from '../venue.js';

/** Hyperliquid's size decimals: about one base unit per dollar of precision, 0 to 5. */
const szDecimals = (m: VenueMarket) => Math.max(0, Math.min(5, Math.floor(Math.log10(m.stateAt(0).price))));

/** Prices have at most five significant figures and at most 6 - szDecimals decimals. */
function px(m: VenueMarket, value: number): string {
  if (!(value > 0)) return '0';
  const maxDecimals = 6 - szDecimals(m);
  const magnitude = Math.floor(Math.log10(value));
  const decimals = Math.max(0, Math.min(maxDecimals, 4 - magnitude));
  return trimmed(Number(value.toFixed(decimals)), decimals);
}

const sz = (m: VenueMarket, value: number) => trimmed(value, szDecimals(m));

function universeEntry(m: VenueMarket): Record<string, unknown> {
  return {
    szDecimals: szDecimals(m),
    name: m.base,
    maxLeverage: Math.min(m.maxLeverage, 40),
    marginTableId: Math.min(m.maxLeverage, 40),
  };
}

/** Blanks are null here (Hyperliquid sends null for a premium, mid or impact prices it does not have). */
function assetCtx(m: VenueMarket, ctx: VenueContext, now: number): Record<string, unknown> {
  const s: MarketState = stateAtMs(m, ctx.startMs, now);
  const bid = bookSide(m, s, 'bids')[0];
  const ask = bookSide(m, s, 'asks')[0];
  const mid = bid !== undefined && ask !== undefined ? (bid.price + ask.price) / 2 : s.price;
  const day = dayStats(m, ctx.startMs, now);
  return {
    funding: trimmed(s.fundingRate, 8),
    openInterest: sz(m, s.openInterestUsd / s.markPrice),
    prevDayPx: px(m, day.open),
    dayNtlVlm: trimmed(s.volume24hUsd, 6),
    premium: m.blanks.has('premium') ? null : trimmed(s.premium, 8),
    oraclePx: px(m, s.indexPrice),
    markPx: px(m, s.markPrice),
    midPx: m.blanks.has('midPrice') ? null : px(m, mid),
    impactPxs: m.blanks.has('impactPrices') ? null : [px(m, bid?.price ?? s.price), px(m, ask?.price ?? s.price)],
    dayBaseVlm: sz(m, s.volume24hUsd / s.price),
  };
}

/** A delisted coin stays in the universe (flagged) with a dead context: no book, no open interest, no funding. */
function delistedEntry(listing: NonTradingListing): Record<string, unknown> {
  return {
    szDecimals: 0,
    name: listing.base,
    maxLeverage: 10,
    marginTableId: 10,
    onlyIsolated: true,
    isDelisted: true,
  };
}

function delistedCtx(listing: NonTradingListing): Record<string, unknown> {
  const price = String(listing.refPrice);
  return {
    funding: '0.0',
    openInterest: '0.0',
    prevDayPx: price,
    dayNtlVlm: '0.0',
    premium: null,
    oraclePx: price,
    markPx: price,
    midPx: null,
    impactPxs: null,
    dayBaseVlm: '0.0',
  };
}

/** The delisted coins, after the scenario's markets so that those keep their asset indexes. */
const delisted = (ctx: VenueContext) => ctx.model.nonTrading.filter((l) => l.kind === 'delisted');

function meta(ctx: VenueContext): Record<string, unknown> {
  const tiers = [
    ...new Set([
      ...ctx.model.markets.map((m) => Math.min(m.maxLeverage, 40)),
      ...(delisted(ctx).length > 0 ? [10] : []),
    ]),
  ];
  return {
    universe: [...ctx.model.markets.map(universeEntry), ...delisted(ctx).map(delistedEntry)],
    marginTables: tiers.map((lev) => [
      lev,
      { description: '', marginTiers: [{ lowerBound: '0.0', maxLeverage: lev }] },
    ]),
  };
}

function handle(request: RestRequest, ctx: VenueContext): RestReply {
  if (request.path !== '/info' || request.method !== 'POST') return htmlReply(404);
  const body = (request.body ?? {}) as { type?: unknown; coin?: unknown; startTime?: unknown; endTime?: unknown };
  const now = ctx.now();
  switch (body.type) {
    case 'meta':
      return jsonReply(meta(ctx));
    case 'metaAndAssetCtxs':
      return jsonReply([
        meta(ctx),
        [...ctx.model.markets.map((m) => assetCtx(m, ctx, now)), ...delisted(ctx).map(delistedCtx)],
      ]);
    case 'allMids': {
      const mids: Record<string, string> = {};
      for (const m of ctx.model.markets) mids[m.base] = px(m, stateAtMs(m, ctx.startMs, now).price);
      return jsonReply(mids);
    }
    case 'l2Book': {
      const m = ctx.model.markets.find((x) => x.base === body.coin);
      if (m === undefined) return jsonReply(null);
      const s = stateAtMs(m, ctx.startMs, now);
      const side = (which: 'bids' | 'asks') =>
        bookSide(m, s, which)
          .slice(0, 20)
          .map((l) => ({ px: px(m, l.price), sz: sz(m, l.amount), n: l.orders }));
      return jsonReply({ coin: m.base, time: now, levels: [side('bids'), side('asks')] });
    }
    case 'fundingHistory': {
      const m = ctx.model.markets.find((x) => x.base === body.coin);
      if (m === undefined) return jsonReply([]);
      const start = typeof body.startTime === 'number' ? body.startTime : now - 86_400_000;
      const end = typeof body.endTime === 'number' ? Math.min(body.endTime, now) : now;
      const out: unknown[] = [];
      for (let t = Math.ceil(start / 3_600_000) * 3_600_000; t <= end && out.length < 500; t += 3_600_000) {
        const s = stateAtMs(m, ctx.startMs, t);
        out.push({ coin: m.base, fundingRate: trimmed(s.fundingRate, 8), premium: trimmed(s.premium, 8), time: t });
      }
      return jsonReply(out);
    }
    case 'perpDexs':
      return jsonReply([null]);
    case 'spotMeta':
      return jsonReply({ tokens: [], universe: [] });
    case 'spotMetaAndAssetCtxs':
      return jsonReply([{ tokens: [], universe: [] }, []]);
    default:
      return textReply('Failed to deserialize the JSON body into the target type', 422);
  }
}

function errorReply(fault: FaultSpec): RestReply {
  const retryAfter = 'retryAfterSec' in fault ? fault.retryAfterSec : undefined;
  switch (fault.kind) {
    case 'rateLimit':
    case 'ipBan':
      return textReply('null', 429, retryAfterHeader(retryAfter));
    case 'badSymbol':
      return jsonReply(null);
    case 'status':
      if (fault.status === 429) return textReply('null', 429, retryAfterHeader(retryAfter));
      if (fault.status === 422) return textReply('Failed to deserialize the JSON body into the target type', 422);
      return htmlReply(fault.status, undefined, retryAfterHeader(retryAfter));
    default:
      return htmlReply(500);
  }
}

const socket: VenueSocket = {
  onOpen() {},
  onMessage(conn, text) {
    let message: { method?: unknown; subscription?: { type?: unknown } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      conn.send({ channel: 'error', data: `Invalid message: ${text}` });
      return;
    }
    if (message.method === 'ping') {
      conn.send({ channel: 'pong' });
      return;
    }
    if (message.method !== 'subscribe' && message.method !== 'unsubscribe') {
      conn.send({ channel: 'error', data: `Unknown method: ${text}` });
      return;
    }
    const key = JSON.stringify(message.subscription ?? {});
    if (message.method === 'subscribe') conn.subscriptions.add(key);
    else conn.subscriptions.delete(key);
    conn.send({
      channel: 'subscriptionResponse',
      data: { method: message.method, subscription: message.subscription },
    });
  },
  tick(conns, ctx, wallNow) {
    const now = ctx.now();
    for (const conn of conns) {
      for (const key of conn.subscriptions) {
        const subscription = JSON.parse(key) as { type?: unknown };
        if (subscription.type !== 'allMids' || !periodicDue(conn, key, 1000, wallNow)) continue;
        const mids: Record<string, string> = {};
        for (const m of ctx.model.markets) mids[m.base] = px(m, stateAtMs(m, ctx.startMs, now).price);
        conn.send({ channel: 'allMids', data: { mids } });
      }
    }
  },
  pushLiquidations() {},
};

export const hyperliquid: VenueAdapter = {
  id: 'hyperliquid',
  liquidationSampling: undefined,
  routeOf: (request) => {
    const type = (request.body as { type?: unknown } | undefined)?.type;
    return request.path === '/info' && typeof type === 'string' ? `/info:${type}` : request.path;
  },
  handle,
  errorReply,
  socket,
};

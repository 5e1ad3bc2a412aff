// What every venue module of the mock exchange provides, and the small helpers they share.
import type { ExchangeId } from '../domain/market.js';
import type { LiquidationEvent, VenueMarket, VenueModel } from './model.js';
import type { FaultSpec } from './scenario.js';

export interface RestRequest {
  method: string;
  /** Path after the venue prefix, without the query, e.g. `/fapi/v1/depth`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body of a POST, `undefined` when absent or not JSON. */
  body: unknown;
}

export interface RestReply {
  status: number;
  /** Raw body as sent. */
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** The JSON value behind `body`, when the body is JSON (fault kinds transform it). */
  json?: unknown;
}

export interface VenueContext {
  model: VenueModel;
  /** Scenario epoch ms at offset 0. */
  startMs: number;
  /** Scenario epoch ms now. */
  now(): number;
  /** The venue's latest pushed liquidation batches, oldest first (for OKX's replay on subscribe). */
  recentLiquidations(): readonly LiquidationBatch[];
  /** How many liquidations to replay on a liquidation subscription (scenario `replayOnSubscribe`). */
  replayOnSubscribe: number;
  /** OKX: the position mode behind liquidation-orders' posSide (scenario `positionMode`, default mixed). */
  positionMode: 'net' | 'longShort' | 'mixed';
}

/** A liquidation stream's output: events of one market in one sampling window. */
export interface LiquidationBatch {
  market: VenueMarket;
  /** Scenario epoch ms at which the window closed (when the venue pushes it). */
  pushedAt: number;
  events: LiquidationEvent[];
}

export interface SocketConnection {
  readonly id: string;
  /** The id the venue reports for the connection (Bybit `conn_id`, OKX `connId`). */
  readonly connId: string;
  readonly venue: ExchangeId;
  /** Path after the venue prefix. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Venue-specific subscription keys (stream names, topics, `channel|instId`). */
  readonly subscriptions: Set<string>;
  /** Wall ms of the last periodic push per subscription key. */
  readonly lastPush: Map<string, number>;
  /** Binance combined streams (`/stream?streams=`) wrap every event as `{stream, data}`. */
  combined: boolean;
  send(message: unknown): void;
}

export interface VenueSocket {
  onOpen(conn: SocketConnection, ctx: VenueContext): void;
  onMessage(conn: SocketConnection, text: string, ctx: VenueContext): void;
  /** Periodic pushes (mark prices, tickers), called every ~100 ms of wall time. */
  tick(conns: readonly SocketConnection[], ctx: VenueContext, wallNow: number): void;
  pushLiquidations(conns: readonly SocketConnection[], batches: readonly LiquidationBatch[], ctx: VenueContext): void;
}

export interface LiquidationSampling {
  windowMs: number;
  keep: 'latest' | 'all';
}

export interface VenueAdapter {
  readonly id: ExchangeId;
  /** How the venue's liquidation stream samples by default (`undefined`: the venue streams none). */
  readonly liquidationSampling: LiquidationSampling | undefined;
  /** Route name for records and fault patterns: the path, or `/info:<type>` on Hyperliquid. */
  routeOf(request: RestRequest): string;
  handle(request: RestRequest, ctx: VenueContext): RestReply;
  /** The venue's answer for the error kinds of faults (status, rateLimit, ipBan, badSymbol). */
  errorReply(fault: FaultSpec, ctx: VenueContext): RestReply;
  readonly socket: VenueSocket;
}

// ---------------------------------------------------------------------------------------------------------------
// Replies

export function jsonReply(value: unknown, status = 200, headers?: Record<string, string>): RestReply {
  return {
    status,
    body: JSON.stringify(value),
    contentType: 'application/json',
    json: value,
    ...(headers === undefined ? {} : { headers }),
  };
}

export function isReply(value: unknown): value is RestReply {
  return value !== null && typeof value === 'object' && 'status' in value && 'body' in value && 'contentType' in value;
}

export function textReply(text: string, status: number, headers?: Record<string, string>): RestReply {
  return { status, body: text, contentType: 'text/plain', ...(headers === undefined ? {} : { headers }) };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTML error page a CDN in front of the venue sends (CloudFront-like). */
export function htmlReply(status: number, detail?: string, headers?: Record<string, string>): RestReply {
  const title = `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
  const body =
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n' +
    `<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: ${title}</TITLE>\n` +
    `</HEAD><BODY>\n<H1>${title}</H1>\n<H2>${detail ?? 'The request could not be satisfied.'}</H2>\n<HR noshade size="1px">\n` +
    'Generated by cloudfront (CloudFront)\n</BODY></HTML>';
  return { status, body, contentType: 'text/html', ...(headers === undefined ? {} : { headers }) };
}

export function retryAfterHeader(seconds: number | undefined): Record<string, string> | undefined {
  return seconds === undefined ? undefined : { 'Retry-After': String(seconds) };
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters and history grids

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? Math.trunc(value) : undefined;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Timestamps of a history series on a grid of `periodMs`, oldest first: the last `limit` closed grid points up to
 * `endMs` (or now), or the first `limit` from `startMs` when only a start is given.
 */
export function historyGrid(
  nowMs: number,
  periodMs: number,
  limit: number,
  startMs?: number,
  endMs?: number,
): number[] {
  const last = Math.floor(Math.min(endMs ?? nowMs, nowMs) / periodMs) * periodMs;
  const times: number[] = [];
  if (startMs !== undefined && endMs === undefined) {
    for (let t = Math.ceil(startMs / periodMs) * periodMs; t <= last && times.length < limit; t += periodMs) {
      times.push(t);
    }
    return times;
  }
  for (let t = last; times.length < limit && (startMs === undefined || t >= startMs); t -= periodMs) {
    times.push(t);
  }
  return times.reverse();
}

/** Periods in ms for the names venues use: 5m, 15min, 1h, 1H, 4h, 1d, 1D, ... */
export function periodMs(name: string): number | undefined {
  const match = /^(\d+)(m|min|h|H|d|D)$/.exec(name);
  if (match === null) return undefined;
  const count = Number(match[1]);
  const unit = match[2] ?? '';
  const minutes = unit === 'm' || unit === 'min' ? 1 : unit === 'h' || unit === 'H' ? 60 : 1440;
  return count * minutes * 60_000;
}

/** True once per `intervalMs` of wall time per connection and key (and at once for a new key). */
export function periodicDue(conn: SocketConnection, key: string, intervalMs: number, wallNow: number): boolean {
  const last = conn.lastPush.get(key);
  if (last !== undefined && wallNow - last < intervalMs) return false;
  conn.lastPush.set(key, wallNow);
  return true;
}

let connCounter = 0;
/** A connection id in the style of Bybit and OKX (`d4pmrn3...-1ab2`). */
export function newConnId(): string {
  connCounter += 1;
  return `${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}-${connCounter.toString(36)}`;
}

// The mock exchange: one loopback HTTP + WebSocket server answering the REST and socket endpoints of binanceusdm,
// bybit, okx and hyperliquid that ccxt calls, each venue under its own prefix (`${origin}/${venue}`), in the venues'
// real formats, from a scripted scenario. Scenario time = start + (clock() - started) x speed.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { EXCHANGE_IDS } from '../domain/market.js';
import type { ExchangeId } from '../domain/market.js';
import { FaultBook, describeFault, dropField, malformed, truncated } from './faults.js';
import type { ActiveFault } from './faults.js';
import { LiquidationFeed } from './liquidations.js';
import { buildModel } from './model.js';
import type { ScenarioModel, VenueModel } from './model.js';
import { faultSpecSchema, parseScenario } from './scenario.js';
import type { FaultSpec, Scenario, ScenarioInput } from './scenario.js';
import type {
  LiquidationBatch,
  RestReply,
  RestRequest,
  SocketConnection,
  VenueAdapter,
  VenueContext,
} from './venue.js';
import { htmlReply, jsonReply, newConnId } from './venue.js';
import { binance } from './venues/binance.js';
import { bybit, withPageSize } from './venues/bybit.js';
import { hyperliquid } from './venues/hyperliquid.js';
import { okx } from './venues/okx.js';

export type { FaultSpec, Scenario, ScenarioInput } from './scenario.js';

/** One REST request (or socket upgrade, method `WS`) the server answered. */
export interface RequestRecord {
  venue: ExchangeId;
  /** `GET`, `POST`, or `WS` for a socket upgrade. */
  method: string;
  /** Path after the venue prefix without the query; Hyperliquid's `/info` calls are `/info:<type>`. */
  route: string;
  /** Wall-clock epoch ms (the `clock` option) when the request arrived. */
  at: number;
  /** Scenario epoch ms when the request arrived. */
  scenarioAt: number;
  /** HTTP status sent (101 for an accepted upgrade); 0 while in flight, or when the client had gone before the answer. */
  status: number;
  /** The query string without `?` (`symbol=BTCUSDT&limit=1000`); empty for Hyperliquid's POSTs. */
  query: string;
  /** The injected or scripted fault that shaped the answer, if any (`rateLimit`, `status 503`, ...). */
  fault?: string;
}

export interface MockExchange {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `${origin}/${venue}`: the origin to give ccxt for that venue (see src/market/origin.ts). */
  originFor(venue: ExchangeId): string;
  /** Every venue's origin, as EXCHANGE_ORIGIN_OVERRIDES takes them. */
  overrides(): Record<ExchangeId, string>;
  /** Scenario time now, epoch ms. */
  scenarioTime(): number;
  /** Adds a fault (validated); returns a function that removes it. Without fromSec it is active at once. */
  injectFault(fault: FaultSpec): () => void;
  /** Removes every fault, the scenario's scripted ones included. */
  clearFaults(): void;
  /** Terminates the socket connections of one venue, or of all (no close frame, as a dropped TCP connection). */
  dropSockets(venue?: ExchangeId): void;
  /** Every request answered so far (the last 200,000), oldest first. */
  requests(): readonly RequestRecord[];
  /**
   * Runs the push tick now (scripted socket faults, liquidations due, periodic pushes) instead of waiting up to
   * 100 ms for the timer: a replay on a manual clock calls it right after moving scenario time.
   */
  pushNow(): void;
  /**
   * Answers one REST request without HTTP, exactly as the server answers it over HTTP (faults and records
   * included): the threaded mock carries a replay's requests to it as messages.
   */
  answer(request: DirectRequest): Promise<DirectAnswer>;
  close(): Promise<void>;
}

/** A REST request carried to the mock without HTTP: `target` is the path and query after the origin. */
export interface DirectRequest {
  method: string;
  target: string;
  body?: string;
}

/** The answer to a DirectRequest as the HTTP server sends it (header names in lower case, as a client reads them). */
export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface MockExchangeOptions {
  scenario: ScenarioInput;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Scenario seconds per wall second (default 1). */
  speed?: number;
  /** Wall clock in epoch ms (default Date.now); tests pass a manual clock to step scenario time. */
  clock?: () => number;
}

const ADAPTERS: Record<ExchangeId, VenueAdapter> = { binanceusdm: binance, bybit, okx, hyperliquid };
const TICK_MS = 100;
const MAX_RECORDS = 200_000;
const MAX_BODY_BYTES = 1_000_000;
/** Binance pings every 3 minutes (the client must pong); the others wait for the client's ping. */
const BINANCE_PING_MS = 180_000;
/** Pushed liquidation batches kept per venue for OKX's replay on subscribe. */
const RECENT_BATCHES = 1000;

class Connection implements SocketConnection {
  readonly connId = newConnId();
  readonly subscriptions = new Set<string>();
  readonly lastPush = new Map<string, number>();
  combined = false;

  constructor(
    readonly id: string,
    readonly venue: ExchangeId,
    readonly path: string,
    readonly query: URLSearchParams,
    readonly socket: WebSocket,
    readonly openedAt: number,
  ) {}

  send(message: unknown): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }
}

function isExchangeId(value: string): value is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(value);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startMockExchange(options: MockExchangeOptions): Promise<MockExchange> {
  const scenario: Scenario = parseScenario(options.scenario);
  const model: ScenarioModel = buildModel(scenario);
  const clock = options.clock ?? Date.now;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error('speed must be positive');
  const startedAt = clock();
  const scenarioTime = () => model.startMs + Math.round((clock() - startedAt) * speed);

  const faults = new FaultBook();
  for (const spec of scenario.faults) faults.add(spec);
  const firedDrops = new Set<number>();

  const contexts = new Map<ExchangeId, VenueContext>();
  const feeds = new Map<ExchangeId, LiquidationFeed>();
  /** The last pushed liquidation batches per venue, for OKX's replay on subscribe. */
  const recent = new Map<ExchangeId, LiquidationBatch[]>();
  for (const [venue, venueModel] of model.venues) {
    const spec = scenario.venues[venue];
    contexts.set(venue, {
      model: venueModel,
      startMs: model.startMs,
      now: scenarioTime,
      recentLiquidations: () => recent.get(venue) ?? [],
      replayOnSubscribe: spec?.replayOnSubscribe ?? 0,
      positionMode: spec?.positionMode ?? 'mixed',
    });
    const sampling = spec?.liquidationSampling ?? ADAPTERS[venue].liquidationSampling;
    if (sampling !== undefined) feeds.set(venue, new LiquidationFeed(venueModel.liquidations, sampling));
  }
  const prepare = new Map<ExchangeId, (request: RestRequest) => RestRequest>([
    ['bybit', withPageSize(scenario.venues.bybit?.pageSize)],
  ]);

  const records: RequestRecord[] = [];
  const record = (entry: RequestRecord) => {
    records.push(entry);
    if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
  };

  const connections = new Map<ExchangeId, Set<Connection>>(EXCHANGE_IDS.map((venue) => [venue, new Set()]));
  let connectionCounter = 0;

  // ---------------------------------------------------------------------------------------------------------
  // REST

  const headersOf = (reply: RestReply): Record<string, string> => ({
    'Content-Type': `${reply.contentType}; charset=utf-8`,
    'Content-Length': String(Buffer.byteLength(reply.body)),
    ...reply.headers,
  });

  const send = (response: ServerResponse, reply: RestReply) => {
    if (response.destroyed || response.writableEnded) return false;
    response.writeHead(reply.status, headersOf(reply));
    response.end(reply.body);
    return true;
  };

  const applyBodyFault = (reply: RestReply, fault: ActiveFault): RestReply => {
    const spec = fault.spec;
    switch (spec.kind) {
      case 'malformedJson':
        return { ...reply, status: 200, body: malformed(reply.body) };
      case 'truncated':
        return { ...reply, status: 200, body: truncated(reply.body) };
      case 'empty':
        return { ...reply, status: 200, body: '' };
      case 'missingField':
        return reply.json === undefined
          ? reply
          : jsonReply(dropField(reply.json, spec.field, spec.onlyWhere), reply.status, reply.headers);
      default:
        return reply;
    }
  };

  /**
   * Answers one REST request (`target`: the path and query after the origin) as the venue would, recording it on
   * arrival. `deliver` hands the reply over and says whether the client was still there to take it.
   */
  const answer = async (
    method: string,
    target: string,
    readRaw: () => Promise<string>,
    deliver: (reply: RestReply) => boolean,
  ): Promise<void> => {
    const at = clock();
    const url = new URL(target, 'http://127.0.0.1');
    const [, first = '', ...rest] = url.pathname.split('/');
    if (first === '') {
      deliver(jsonReply({ name: scenario.name, venues: mock.overrides(), scenarioTime: scenarioTime() }));
      return;
    }
    if (!isExchangeId(first)) {
      deliver(htmlReply(404, `no venue ${first}`));
      return;
    }
    const venue = first;
    const adapter = ADAPTERS[venue];
    const ctx = contexts.get(venue);
    const raw = method === 'POST' || method === 'PUT' ? await readRaw().catch(() => '') : '';
    let body: unknown;
    try {
      body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      body = undefined;
    }
    const prepared = prepare.get(venue);
    let restRequest: RestRequest = { method, path: `/${rest.join('/')}`, query: url.searchParams, body };
    if (prepared !== undefined) restRequest = prepared(restRequest);
    const route = adapter.routeOf(restRequest);
    const scenarioAt = scenarioTime();
    // Recorded on arrival (status 0 while in flight), so a client that gave up early still finds its request.
    const query = url.search.slice(1);
    const entry: RequestRecord = { venue, method, route, query, at, scenarioAt, status: 0 };
    record(entry);
    if (ctx === undefined) {
      const reply = htmlReply(404, `${venue} is not in scenario ${scenario.name}`);
      if (deliver(reply)) entry.status = reply.status;
      return;
    }
    const fault = faults.takeForRequest(venue, route, (scenarioAt - model.startMs) / 1000);
    if (fault !== undefined) entry.fault = describeFault(fault.spec);
    let reply: RestReply;
    try {
      if (fault !== undefined && fault.spec.kind === 'delay') await sleep(fault.spec.delayMs);
      const kind = fault?.spec.kind;
      if (
        fault !== undefined &&
        (kind === 'status' || kind === 'rateLimit' || kind === 'ipBan' || kind === 'badSymbol')
      ) {
        reply = adapter.errorReply(fault.spec, ctx);
      } else {
        reply = adapter.handle(restRequest, ctx);
        if (fault !== undefined) reply = applyBodyFault(reply, fault);
      }
    } catch (error) {
      console.error(`mock-exchange: ${venue} ${method} ${route} failed:`, error);
      reply = htmlReply(500);
    }
    if (deliver(reply)) entry.status = reply.status;
  };

  const handleRequest = (request: IncomingMessage, response: ServerResponse) =>
    answer(
      request.method ?? 'GET',
      request.url ?? '/',
      () => readBody(request),
      (reply) => send(response, reply),
    );

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      console.error('mock-exchange: request failed:', error);
      if (!response.headersSent) send(response, htmlReply(500));
    });
  });
  server.keepAliveTimeout = 65_000;

  // ---------------------------------------------------------------------------------------------------------
  // Sockets

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  const refuseUpgrade = (socket: Duplex, status: number, text: string) => {
    socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const at = clock();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const [, first = '', ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    if (!isExchangeId(first) || !contexts.has(first)) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const venue = first;
    const scenarioAt = scenarioTime();
    if (faults.socketFaults(venue, 'dropSockets', (scenarioAt - model.startMs) / 1000).length > 0) {
      record({
        venue,
        method: 'WS',
        route: path,
        query: url.search.slice(1),
        at,
        scenarioAt,
        status: 503,
        fault: 'dropSockets',
      });
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      connectionCounter += 1;
      const conn = new Connection(String(connectionCounter), venue, path, url.searchParams, ws, Date.now());
      const ctx = contexts.get(venue);
      const pool = connections.get(venue);
      if (ctx === undefined || pool === undefined) {
        ws.terminate();
        return;
      }
      pool.add(conn);
      record({ venue, method: 'WS', route: path, query: url.search.slice(1), at, scenarioAt, status: 101 });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        try {
          ADAPTERS[venue].socket.onMessage(conn, data.toString('utf8'), ctx);
        } catch (error) {
          console.error(`mock-exchange: ${venue} socket message failed:`, error);
        }
      });
      ws.on('close', () => pool.delete(conn));
      ws.on('error', () => pool.delete(conn));
      ADAPTERS[venue].socket.onOpen(conn, ctx);
    });
  });

  const dropSockets = (venue?: ExchangeId) => {
    for (const [id, pool] of connections) {
      if (venue !== undefined && id !== venue) continue;
      for (const conn of pool) conn.socket.terminate();
      pool.clear();
    }
  };

  // ---------------------------------------------------------------------------------------------------------
  // The tick: scripted socket faults, liquidations, periodic pushes, Binance's server pings

  const tick = () => {
    const now = scenarioTime();
    const offset = (now - model.startMs) / 1000;
    const wallNow = Date.now();
    for (const fault of faults.all()) {
      if (fault.spec.kind !== 'dropSockets' || firedDrops.has(fault.id) || !faults.isActive(fault, offset)) continue;
      firedDrops.add(fault.id);
      if (fault.spec.venue === undefined) dropSockets();
      else dropSockets(fault.spec.venue);
    }
    for (const [venue, ctx] of contexts) {
      const pool = [...(connections.get(venue) ?? [])];
      const silent = faults.socketFaults(venue, 'silence', offset).length > 0;
      const batches = feeds.get(venue)?.advance(now) ?? [];
      if (batches.length > 0 && !silent) {
        const kept = [...(recent.get(venue) ?? []), ...batches];
        recent.set(venue, kept.slice(-RECENT_BATCHES));
      }
      if (silent || pool.length === 0) continue;
      const socket = ADAPTERS[venue].socket;
      try {
        if (batches.length > 0) socket.pushLiquidations(pool, batches, ctx);
        socket.tick(pool, ctx, wallNow);
      } catch (error) {
        console.error(`mock-exchange: ${venue} socket push failed:`, error);
      }
      if (venue === 'binanceusdm') {
        for (const conn of pool) {
          const last = conn.lastPush.get('__ping') ?? conn.openedAt;
          if (wallNow - last >= BINANCE_PING_MS) {
            conn.lastPush.set('__ping', wallNow);
            conn.socket.ping();
          }
        }
      }
    }
  };
  const timer = setInterval(tick, TICK_MS);
  timer.unref();

  // ---------------------------------------------------------------------------------------------------------

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  let closed = false;
  const mock: MockExchange = {
    origin,
    originFor: (venue) => `${origin}/${venue}`,
    overrides: () =>
      Object.fromEntries(EXCHANGE_IDS.map((venue) => [venue, `${origin}/${venue}`])) as Record<ExchangeId, string>,
    scenarioTime,
    injectFault(fault) {
      const spec = faultSpecSchema.parse(fault);
      const added = faults.add(spec);
      return () => faults.remove(added.id);
    },
    clearFaults: () => faults.clear(),
    dropSockets,
    requests: () => records,
    pushNow: () => {
      if (!closed) tick();
    },
    answer: (request) =>
      new Promise<DirectAnswer>((resolve, reject) => {
        const deliver = (reply: RestReply): boolean => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(headersOf(reply))) headers[name.toLowerCase()] = value;
          resolve({ status: reply.status, headers, body: reply.body });
          return true;
        };
        answer(request.method, request.target, () => Promise.resolve(request.body ?? ''), deliver).catch(reject);
      }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      dropSockets();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return mock;
}

/** The markets the server lists for a venue (for tests and benches that need the venue ids). */
export function venueMarkets(scenario: ScenarioInput, venue: ExchangeId): VenueModel['markets'] {
  return buildModel(parseScenario(scenario)).venues.get(venue)?.markets ?? [];
}

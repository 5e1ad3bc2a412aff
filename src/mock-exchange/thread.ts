// The mock exchange on a worker thread, for replays: the same server (startMockExchange) on 127.0.0.1, answering the
// same ccxt clients over the same sockets, but its request handling, JSON and socket pushes run beside the
// pipeline instead of taking turns with it on one thread. Scenario time stays a manual clock that only the replay
// moves: `advance(wallMs)` sets it (in memory both threads share, so a request sent right after it is answered at
// that time) and runs the push tick in the worker, and resolves once the push is done, so every request and stream
// item of a pass sees the time the pass set, exactly as in-process.
import { STATUS_CODES } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { ExchangeId } from '../domain/market.js';
import type { Scenario } from './scenario.js';
import type { DirectAnswer, DirectRequest } from './server.js';

/** The fields of a ccxt request the transport reads (ccxt's fetchImplementation arguments). */
export interface TransportInit {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** What ccxt reads of a response (the surface of its own undici path). */
export interface TransportResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What the replay asks of the threaded mock. */
export interface MockExchangeThread {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Every venue's origin, as EXCHANGE_ORIGIN_OVERRIDES takes them. */
  overrides(): Record<ExchangeId, string>;
  /**
   * Sets the mock's wall clock (scenario time follows it) at once, then runs its push tick; resolves when the push
   * is done. Requests sent after the call are answered at the new time even before it resolves.
   */
  advance(wallMs: number): Promise<void>;
  /**
   * ccxt's transport to this mock (its fetchImplementation): each REST request goes to the thread as a message and
   * is answered exactly as over HTTP, without a loopback socket and two HTTP parsers in between. Sockets stay real.
   */
  transport(url: string, init: TransportInit): Promise<TransportResponse>;
  /** The venues with at least one accepted socket upgrade so far. */
  upgradedVenues(): Promise<ExchangeId[]>;
  close(): Promise<void>;
}

/** Messages to the worker, each answered by a `ThreadReply` with the same id. */
export type ThreadRequest =
  | { id: number; type: 'advance' }
  | { id: number; type: 'upgraded' }
  | { id: number; type: 'rest'; request: DirectRequest }
  | { id: number; type: 'close' };

/** A request before it is given its id (distributed over the union, so each kind keeps its fields). */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

export type ThreadReply =
  | { id: number; ok: true; venues?: ExchangeId[]; answer?: DirectAnswer }
  | { id: number; ok: false; error: string }
  | { id: 0; ok: true; ready: { origin: string; overrides: Record<ExchangeId, string> } };

export interface ThreadData {
  scenario: Scenario;
  /**
   * The clock, in microseconds (one BigInt64 slot), written by the replay, read by the worker; its value when the
   * server starts is the one scenario time 0 is read against.
   */
  clock: SharedArrayBuffer;
}

/** The shared clock's value in milliseconds. */
export function readSharedClock(clock: BigInt64Array): number {
  return Number(Atomics.load(clock, 0)) / 1000;
}

function writeSharedClock(clock: BigInt64Array, wallMs: number): void {
  Atomics.store(clock, 0, BigInt(Math.round(wallMs * 1000)));
}

/**
 * The worker is started from a small script that registers tsx's loader in the worker (Node 20 does not pass the
 * parent's module hooks on to worker threads) and then imports the entry, TypeScript or built JavaScript alike.
 */
function bootScript(entry: URL): string {
  const loader = import.meta.resolve('tsx/esm/api');
  return (
    `import(${JSON.stringify(loader)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })` +
    '.catch((error) => { setImmediate(() => { throw error; }); });'
  );
}

/** Starts the mock exchange for `scenario` on a worker thread, its clock at `wallMs`. */
export async function startMockExchangeThread(scenario: Scenario, wallMs = 0): Promise<MockExchangeThread> {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const entry = new URL(`./thread-entry.${extension}`, import.meta.url);
  const clock = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  const clockSlot = new BigInt64Array(clock);
  writeSharedClock(clockSlot, wallMs);
  const data: ThreadData = { scenario, clock };
  const worker = new Worker(bootScript(entry), { eval: true, workerData: data });
  const pending = new Map<number, { resolve: (reply: ThreadReply) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | null = null;

  const fail = (error: Error): void => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  const ready = new Promise<{ origin: string; overrides: Record<ExchangeId, string> }>((resolve, reject) => {
    pending.set(0, {
      resolve: (reply) => {
        if ('ready' in reply) resolve(reply.ready);
        else reject(new Error('the mock exchange thread did not start'));
      },
      reject,
    });
  });
  worker.on('message', (reply: ThreadReply) => {
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(new Error(`mock exchange thread: ${reply.error}`));
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`the mock exchange thread exited (code ${code})`)));

  const call = (request: Unsent<ThreadRequest>): Promise<ThreadReply> => {
    if (failure !== null) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<ThreadReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };

  let started: { origin: string; overrides: Record<ExchangeId, string> };
  try {
    started = await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const originLength = started.origin.length;
  const transport = async (url: string, init: TransportInit): Promise<TransportResponse> => {
    if (!url.startsWith(started.origin)) throw new TypeError(`fetch failed: ${url} is not the mock exchange`);
    const signal = init.signal;
    if (signal?.aborted === true) throw new DOMException('This operation was aborted', 'AbortError');
    const request: DirectRequest = {
      method: init.method ?? 'GET',
      target: url.slice(originLength),
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    };
    const sent = call({ type: 'rest', request }).catch((error: unknown) => {
      throw new TypeError('fetch failed', { cause: error });
    });
    // ccxt's timeout aborts the signal: the request stops waiting as a fetch would (a late answer is dropped).
    const reply =
      signal === undefined
        ? await sent
        : await new Promise<ThreadReply>((resolve, reject) => {
            const onAbort = () => reject(new DOMException('This operation was aborted', 'AbortError'));
            signal.addEventListener('abort', onAbort, { once: true });
            sent.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
          });
    const answer = 'answer' in reply ? reply.answer : undefined;
    if (answer === undefined) throw new TypeError('fetch failed: the mock exchange thread sent no answer');
    return {
      status: answer.status,
      statusText: STATUS_CODES[answer.status] ?? '',
      headers: answer.headers,
      text: () => Promise.resolve(answer.body),
      arrayBuffer: () => Promise.resolve(new TextEncoder().encode(answer.body).buffer),
    };
  };

  let closed = false;
  return {
    origin: started.origin,
    transport,
    overrides: () => ({ ...started.overrides }),
    advance: async (to) => {
      writeSharedClock(clockSlot, to);
      await call({ type: 'advance' });
    },
    upgradedVenues: async () => {
      const reply = await call({ type: 'upgraded' });
      return 'venues' in reply ? (reply.venues ?? []) : [];
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await call({ type: 'close' });
      } finally {
        worker.removeAllListeners('exit');
        await worker.terminate();
      }
    },
  };
}

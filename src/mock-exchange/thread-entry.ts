// The worker side of the threaded mock exchange (see thread.ts): starts the server on a manual clock and answers the
// replay's messages. Nothing else runs here.
import { parentPort, workerData } from 'node:worker_threads';
import type { ExchangeId } from '../domain/market.js';
import { startMockExchange } from './server.js';
import { readSharedClock } from './thread.js';
import type { ThreadData, ThreadReply, ThreadRequest } from './thread.js';

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('thread-entry.ts runs on a worker thread only');
  const data = workerData as ThreadData;
  const clock = new BigInt64Array(data.clock);
  const mock = await startMockExchange({ scenario: data.scenario, clock: () => readSharedClock(clock) });
  const reply = (message: ThreadReply): void => port.postMessage(message);
  port.on('message', (request: ThreadRequest) => {
    void (async () => {
      try {
        switch (request.type) {
          case 'advance':
            mock.pushNow();
            reply({ id: request.id, ok: true });
            return;
          case 'upgraded': {
            const venues = new Set<ExchangeId>();
            for (const r of mock.requests()) if (r.method === 'WS' && r.status === 101) venues.add(r.venue);
            reply({ id: request.id, ok: true, venues: [...venues] });
            return;
          }
          case 'rest':
            reply({ id: request.id, ok: true, answer: await mock.answer(request.request) });
            return;
          case 'close':
            await mock.close();
            reply({ id: request.id, ok: true });
            port.close();
            return;
        }
      } catch (error) {
        reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  reply({ id: 0, ok: true, ready: { origin: mock.origin, overrides: mock.overrides() } });
}

await serve();

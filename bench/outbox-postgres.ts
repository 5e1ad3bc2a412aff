// The Postgres outbox drained by 1, 2 and 4 instances on one Postgres: rows delivered per second, with a fake send
// of about 1 ms, 2,000 rows over 200 destinations. Each instance has its own pool and works SLOTS lanes at once.
// Uses DATABASE_URL's server when set (a database per run is created on it), else an embedded Postgres.
import pg from 'pg';
import type { OutboxItem } from '../src/store/outbox.js';
import { migrate } from '../src/store/postgres/migrate.js';
import { systemClock } from '../src/chat/clock.js';
import { OutboxWorker } from '../src/chat/outbox-worker.js';
import { PostgresOutbox } from '../src/store/postgres/outbox.js';
import { postgresOutboxQueue } from '../src/store/postgres/outbox-queue.js';
import { openPool } from '../src/store/postgres/pool.js';
import { startTestPostgres } from '../test/support/postgres.js';
import type { Bench, BenchFigures } from './types.js';

const ROWS = 2_000;
const DESTINATIONS = 200;
const SLOTS = 4;
const SEND_MS = 1;

function items(): OutboxItem[] {
  const out: OutboxItem[] = [];
  for (let i = 0; i < ROWS; i++) {
    out.push({
      alertId: `bench-${Math.floor(i / DESTINATIONS)}`,
      platform: 'telegram',
      chatId: `chat-${i % DESTINATIONS}`,
      reply: { title: 'BTC liquidation cascade', body: 'bench', fields: [], links: [], level: 'warning', data: null },
      createdAt: 1_000,
      notAfter: Number.MAX_SAFE_INTEGER,
    });
  }
  return out;
}

/** Runs one statement on the server's database named in `serverUrl` (creating or dropping a bench database). */
async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function run(serverUrl: string, instances: number): Promise<BenchFigures> {
  const name = `bench_outbox_${process.pid}_${instances}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pools = Array.from({ length: instances }, (_, i) =>
    openPool(url.toString(), { max: SLOTS + 1, applicationName: `b${i}` }),
  );
  try {
    await migrate(pools[0]!);
    const enqueueStartMs = performance.now();
    await new PostgresOutbox(pools[0]!).enqueue(items());
    const enqueueMs = performance.now() - enqueueStartMs;
    const startMs = performance.now();
    // The bot's own worker on each instance, over the Postgres port: SLOTS lanes held at a time.
    const queues = pools.map((pool, i) =>
      postgresOutboxQueue(new PostgresOutbox(pool), { instanceId: `b${i}`, leaseMs: 60_000, maxLanes: SLOTS }),
    );
    const results = await Promise.all(
      queues.map(async (queue) => {
        let sent = 0;
        const worker = new OutboxWorker({
          outbox: queue,
          clock: systemClock,
          senders: {
            telegram: async () => {
              await new Promise((resolve) => setTimeout(resolve, SEND_MS));
              sent++;
            },
          },
        });
        await worker.drain();
        await worker.stop();
        await queue.close();
        return { sent };
      }),
    );
    const elapsedMs = performance.now() - startMs;
    const sent = results.reduce((sum, r) => sum + r.sent, 0);
    return {
      bench: 'outbox-postgres',
      case: `${instances} instance${instances === 1 ? '' : 's'}`,
      figures: {
        lanesPerInstance: SLOTS,
        rows: sent,
        wallMs: Math.round(elapsedMs),
        rowsPerSecond: Math.round((sent / elapsedMs) * 1_000),
        rowsPerInstance: results.map((r) => r.sent).join('/'),
        enqueueMs: Math.round(enqueueMs),
      },
    };
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
    await admin(serverUrl, `DROP DATABASE ${name}`);
  }
}

export const outboxPostgres: Bench = {
  name: 'outbox-postgres',
  description: `the Postgres outbox drained by 1, 2 and 4 instances: ${ROWS} rows over ${DESTINATIONS} destinations, a ${SEND_MS} ms fake send`,
  async run() {
    const external = process.env['DATABASE_URL'];
    const embedded = external === undefined ? await startTestPostgres() : undefined;
    const serverUrl = external ?? (embedded as { url: string }).url;
    try {
      const figures: BenchFigures[] = [];
      for (const instances of [1, 2, 4]) figures.push(await run(serverUrl, instances));
      return figures;
    } finally {
      await embedded?.stop();
    }
  },
};

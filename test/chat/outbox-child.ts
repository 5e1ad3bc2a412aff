// A worker process for the kill -9 test: opens the outbox database, resolves rows left in flight by a killed
// predecessor, and drains the outbox to the (fake) Telegram API through the real delivery seam and telegraf.
// argv: <database file> <apiRoot> <token> <concurrency> [<messages per second to one private chat>]
import Database from 'better-sqlite3';
import { Telegram } from 'telegraf';
import { systemClock } from '../../src/chat/clock.js';
import { Delivery } from '../../src/chat/delivery.js';
import { OutboxWorker } from '../../src/chat/outbox-worker.js';
import { telegramAlertSender } from '../../src/chat/telegram.js';
import { SqliteOutbox } from '../../src/store/outbox.js';

const [file = '', apiRoot = '', token = '', concurrency = '1', privatePerSecond] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
const outbox = new SqliteOutbox(db);
const recovered = outbox.recoverInFlight({ now: Date.now() });
process.stdout.write(`recovered ${JSON.stringify(recovered)}\n`);
const delivery = new Delivery({
  limits: {
    telegramGlobal: { ratePerSecond: 200, capacity: 1 },
    telegramCeiling: { limit: 200, windowMs: 1000, transitMs: 2000 },
    ...(privatePerSecond ? { telegramPrivate: { ratePerSecond: Number(privatePerSecond), capacity: 1 } } : {}),
  },
});
const worker = new OutboxWorker({
  outbox,
  clock: systemClock,
  concurrency: Number(concurrency),
  senders: { telegram: telegramAlertSender(new Telegram(token, { apiRoot }), delivery) },
});
const result = await worker.drain();
process.stdout.write(`drained ${JSON.stringify(result)}\n`);
db.close();

// `npm run bench -- fanout [--quick]`: delivers one alert to N subscriptions (10,000; 1,000 quick) per platform
// against the fakes at the platforms' own limits (Telegram 30 messages/s, Discord 50 requests/s), through the
// real outbox worker, delivery seam, telegraf and discord.js REST. Both the fakes' limits and our limiters run
// on one clock `SCALE` times faster than the wall clock, so figures are in platform time (virtual seconds).
import { REST } from 'discord.js';
import { Telegram } from 'telegraf';
import Database from 'better-sqlite3';
import { decideAlerts } from '../src/alerts/rules.js';
import type { MarketReading } from '../src/alerts/types.js';
import { scaledClock } from '../src/chat/clock.js';
import { DEFAULT_RATE_LIMITS, Delivery } from '../src/chat/delivery.js';
import { discordAlertSender } from '../src/chat/discord.js';
import { enqueueAlerts } from '../src/chat/fanout.js';
import { OutboxWorker } from '../src/chat/outbox-worker.js';
import { telegramAlertSender } from '../src/chat/telegram.js';
import { migrate } from '../src/store/migrations.js';
import { SqliteOutbox } from '../src/store/outbox.js';
import { SqliteSubscriptionStore } from '../src/store/subscriptions.js';
import { FakeDiscord } from '../test/fakes/discord.js';
import { FakeTelegram } from '../test/fakes/telegram.js';
import type { Bench, BenchFigures } from './types.js';

/**
 * How much faster than the wall clock the run goes (env FANOUT_CLOCK_SCALE, default 4). Timer lateness and
 * event-loop stalls are magnified by it, so a smaller scale measures closer to real operation.
 */
const SCALE = Number(process.env.FANOUT_CLOCK_SCALE ?? 4);
const TELEGRAM_TOKEN = '7000000001:AAFakeTokenForBenchOnly_abcdefghijkl';
const DISCORD_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-bench-only';
const DISCORD_APP = '1300000000000000042';

const reading: MarketReading = {
  market: 'binanceusdm:BTC/USDT:USDT',
  level: 'critical',
  previousLevel: 'warning',
  regime: 'unwinding',
  score: 91,
  reasons: [
    'Open interest fell 12% in 20 minutes while price dropped 6%.',
    'Liquidations of longs at $310M in 10 minutes.',
  ],
  cascade: 'a further 3% drop would liquidate about $640M of longs',
  openInterestUsd: 9_000_000_000,
};

async function run(platform: 'telegram' | 'discord', count: number): Promise<BenchFigures> {
  const clock = scaledClock(SCALE);
  const db = new Database(':memory:');
  migrate(db, clock.now);
  const subscriptions = new SqliteSubscriptionStore(db);
  const outbox = new SqliteOutbox(db);
  for (let i = 0; i < count; i++) {
    const id = platform === 'telegram' ? String(100_000 + i) : String(1_400_000_000_000_000_000n + BigInt(i));
    subscriptions.upsert({
      chat: { platform, id },
      markets: null,
      minLevel: 'warning',
      regimes: null,
      createdBy: null,
      createdAt: 0,
    });
  }
  const delivery = new Delivery({ clock });
  const now = clock.now();
  const alerts = decideAlerts({
    readings: [reading],
    subscriptions: subscriptions.active(platform),
    lastAlerts: [],
    now,
  });
  enqueueAlerts(outbox, alerts, { now, maxDelayMs: 3_600_000 });

  let received: () => number[];
  let rateLimited: () => number;
  let stop: () => Promise<void>;
  let worker: OutboxWorker;
  if (platform === 'telegram') {
    const fake = new FakeTelegram({ token: TELEGRAM_TOKEN, now: clock.now });
    await fake.start();
    const sender = telegramAlertSender(new Telegram(TELEGRAM_TOKEN, { apiRoot: fake.apiRoot }), delivery);
    worker = new OutboxWorker({ outbox, clock, senders: { telegram: sender } });
    received = () => fake.sent.map((m) => m.at);
    rateLimited = () => fake.tooManyRequests.length;
    stop = () => fake.stop();
  } else {
    const fake = new FakeDiscord({
      token: DISCORD_TOKEN,
      applicationId: DISCORD_APP,
      globalPerSecond: 50,
      now: clock.now,
    });
    await fake.start();
    // discord.js's own global limiter counts real seconds: scale it like the clock so ours decides the pace.
    const rest = new REST({ api: fake.baseUrl, retries: 0, globalRequestsPerSecond: 50 * SCALE }).setToken(
      DISCORD_TOKEN,
    );
    worker = new OutboxWorker({ outbox, clock, senders: { discord: discordAlertSender(rest, delivery) } });
    received = () => fake.channelMessages.map((m) => m.at);
    rateLimited = () => fake.globalRateLimited.length;
    stop = () => fake.stop();
  }
  const realStart = performance.now();
  const startedAt = clock.now();
  const result = await worker.drain();
  const seconds = (clock.now() - startedAt) / 1000;
  const realSeconds = (performance.now() - realStart) / 1000;
  await stop();
  const times = received().sort((a, b) => a - b);
  let busiestSecond = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] ?? 0) - (times[i] ?? 0) >= 1000) i++;
    busiestSecond = Math.max(busiestSecond, j - i + 1);
  }
  const ceiling = platform === 'telegram' ? 30 : 50;
  // Our limiter sends at 27/s (Telegram) and 45/s (Discord): 90% of the ceilings, never above them in any second.
  const configured =
    platform === 'telegram'
      ? DEFAULT_RATE_LIMITS.telegramGlobal.ratePerSecond
      : DEFAULT_RATE_LIMITS.discordGlobal.ratePerSecond;
  const perSecond = result.sent / seconds;
  db.close();
  return {
    bench: 'fanout',
    case: `${platform} x ${count}`,
    figures: {
      subscriptions: count,
      delivered: result.sent,
      failed: result.failed,
      platformSeconds: seconds,
      messagesPerSecond: perSecond,
      ceilingPerSecond: ceiling,
      shareOfCeiling: perSecond / ceiling,
      busiestSecond,
      answered429: rateLimited(),
      realSeconds,
      clockScale: SCALE,
    },
    goal: `all delivered, no 429, at least 97% of our configured ${configured}/s (ceiling ${ceiling}/s)`,
    goalMet: result.sent === count && rateLimited() === 0 && perSecond >= 0.97 * configured,
  };
}

export const fanout: Bench = {
  name: 'fanout',
  description: 'time and messages per second to deliver one alert to 10,000 subscriptions (1,000 quick) per platform',
  async run({ quick }) {
    const count = quick ? 1_000 : 10_000;
    return [await run('telegram', count), await run('discord', count)];
  },
};

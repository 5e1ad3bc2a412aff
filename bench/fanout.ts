// `npm run bench -- fanout [--quick]`: delivers one alert to N subscriptions (10,000; 1,000 quick) per platform
// against the fakes at the platforms' own limits (Telegram 30 messages/s, Discord 50 requests/s), through the
// real outbox worker, delivery seam, telegraf and discord.js REST.
// `npm run bench -- fanout-faults [--quick]`: 10,000 subscriptions (1,000 quick), half Telegram, half Discord,
// served at once by one worker; 1% of the chats hang (the fake takes the request and never answers) and 1%
// answer 429 with retry_after 3600 s. Compares the healthy 98% with a run of the same size without faults.
// Both the fakes' limits and our limiters run on one clock `SCALE` times faster than the wall clock, so figures
// are in platform time (virtual seconds); the busiest second is counted from the times the fakes received the
// requests (every send, answered or not).
import { REST } from 'discord.js';
import { Telegram } from 'telegraf';
import Database from 'better-sqlite3';
import { decideAlerts } from '../src/alerts/rules.js';
import type { MarketReading } from '../src/alerts/types.js';
import { scaledClock, type Clock } from '../src/chat/clock.js';
import { DEFAULT_RATE_LIMITS, DEFAULT_RETRY, Delivery } from '../src/chat/delivery.js';
import { DISCORD_REST_OPTIONS, discordAlertSender } from '../src/chat/discord.js';
import { enqueueAlerts } from '../src/chat/fanout.js';
import { OutboxWorker, type DrainResult, type OutboxSender } from '../src/chat/outbox-worker.js';
import { telegramAlertSender } from '../src/chat/telegram.js';
import { migrate } from '../src/store/migrations.js';
import { SqliteOutbox, type OutboxPlatform } from '../src/store/outbox.js';
import { SqliteSubscriptionStore } from '../src/store/subscriptions.js';
import { DISCORD_ERRORS, FakeDiscord } from '../test/fakes/discord.js';
import { FakeTelegram, TELEGRAM_ERRORS } from '../test/fakes/telegram.js';
import type { Bench, BenchFigures } from './types.js';

/**
 * How much faster than the wall clock the run goes (env FANOUT_CLOCK_SCALE, default 4). Timer lateness and
 * event-loop stalls are magnified by it, so a smaller scale measures closer to real operation.
 */
const SCALE = Number(process.env.FANOUT_CLOCK_SCALE ?? 4);
const TELEGRAM_TOKEN = '7000000001:AAFakeTokenForBenchOnly_abcdefghijkl';
const DISCORD_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-bench-only';
const DISCORD_APP = '1300000000000000042';
const CEILING: Record<OutboxPlatform, number> = { telegram: 30, discord: 50 };
/** The product's deadline for an alert (src/main.ts). */
const ALERT_DEADLINE_MS = 15 * 60_000;
const HONESTY =
  `platform time: clock ${SCALE}x the wall clock for the fakes' limits, our limiters and deadlines alike; ` +
  `the request timeout is scaled too (${DEFAULT_RETRY.requestTimeoutMs / 1000} s of platform time)`;

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

function chatId(platform: OutboxPlatform, i: number): string {
  return platform === 'telegram' ? String(100_000 + i) : String(1_400_000_000_000_000_000n + BigInt(i));
}

/** The most receipts in any window [t, t + 1 s): what a platform counting per second sees. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= 1000) i++;
    busiest = Math.max(busiest, j - i + 1);
  }
  return busiest;
}

interface Receipt {
  chatId: string;
  at: number;
}

/** One run: subscriptions, outbox, one Delivery and one worker for the platforms asked, the fakes. */
interface World {
  clock: Clock;
  db: Database.Database;
  worker: OutboxWorker;
  telegram: FakeTelegram;
  discord: FakeDiscord;
  /** Every send request the fake received (answered, refused or hung). */
  requests(platform: OutboxPlatform): Receipt[];
  /** The messages the fake accepted (a hung Telegram send is accepted, then never answered). */
  accepted(platform: OutboxPlatform): Receipt[];
  stop(): Promise<void>;
}

async function world(
  counts: Record<OutboxPlatform, number>,
  options: { maxDelayMs: number; scaleTimeout: boolean },
): Promise<World> {
  const clock = scaledClock(SCALE);
  const db = new Database(':memory:');
  migrate(db, clock.now);
  const subscriptions = new SqliteSubscriptionStore(db);
  const outbox = new SqliteOutbox(db);
  for (const platform of ['telegram', 'discord'] as const) {
    for (let i = 0; i < counts[platform]; i++) {
      subscriptions.upsert({
        chat: { platform, id: chatId(platform, i) },
        markets: null,
        minLevel: 'warning',
        regimes: null,
        createdBy: null,
        createdAt: 0,
      });
    }
  }
  // The request timeout bounds a real socket in real ms: scaled, it stays 12 s of platform time.
  const delivery = new Delivery({
    clock,
    ...(options.scaleTimeout ? { retry: { requestTimeoutMs: DEFAULT_RETRY.requestTimeoutMs / SCALE } } : {}),
  });
  const now = clock.now();
  const alerts = decideAlerts({ readings: [reading], subscriptions: subscriptions.active(), lastAlerts: [], now });
  enqueueAlerts(outbox, alerts, { now, maxDelayMs: options.maxDelayMs });

  const telegram = new FakeTelegram({ token: TELEGRAM_TOKEN, now: clock.now });
  const discord = new FakeDiscord({
    token: DISCORD_TOKEN,
    applicationId: DISCORD_APP,
    globalPerSecond: CEILING.discord,
    now: clock.now,
  });
  await telegram.start();
  await discord.start();
  // discord.js's own global limiter counts real seconds: scale it like the clock so ours decides the pace.
  const rest = new REST({
    api: discord.baseUrl,
    ...DISCORD_REST_OPTIONS,
    globalRequestsPerSecond: CEILING.discord * SCALE,
  }).setToken(DISCORD_TOKEN);
  const senders: Partial<Record<OutboxPlatform, OutboxSender>> = {};
  if (counts.telegram > 0)
    senders.telegram = telegramAlertSender(new Telegram(TELEGRAM_TOKEN, { apiRoot: telegram.apiRoot }), delivery);
  if (counts.discord > 0) senders.discord = discordAlertSender(rest, delivery);
  const worker = new OutboxWorker({ outbox, clock, senders });
  const channelPost = /^\/channels\/(\d+)\/messages$/;
  return {
    clock,
    db,
    worker,
    telegram,
    discord,
    requests: (platform) =>
      platform === 'telegram'
        ? telegram.calls
            .filter((c) => c.method === 'sendMessage')
            .map((c) => ({ chatId: String(c.payload.chat_id), at: c.at }))
        : discord.requests.flatMap((r) => {
            const match = r.method === 'POST' ? channelPost.exec(r.path) : null;
            return match ? [{ chatId: match[1] ?? '', at: r.at }] : [];
          }),
    accepted: (platform) =>
      platform === 'telegram'
        ? telegram.sent.map((m) => ({ chatId: m.chatId, at: m.at }))
        : discord.channelMessages.map((m) => ({ chatId: m.channelId, at: m.at })),
    async stop() {
      await telegram.stop();
      await discord.stop();
      db.close();
    },
  };
}

/** Drains everything queued; platform seconds and real seconds it took. */
async function drain(w: World): Promise<{ result: DrainResult; startedAt: number; realSeconds: number }> {
  const realStart = performance.now();
  const startedAt = w.clock.now();
  const result = await w.worker.drain();
  return { result, startedAt, realSeconds: (performance.now() - realStart) / 1000 };
}

async function run(platform: OutboxPlatform, count: number): Promise<BenchFigures> {
  const w = await world(
    { telegram: platform === 'telegram' ? count : 0, discord: platform === 'discord' ? count : 0 },
    { maxDelayMs: 3_600_000, scaleTimeout: false },
  );
  const { result, startedAt, realSeconds } = await drain(w);
  const seconds = (w.clock.now() - startedAt) / 1000;
  const busiest = busiestSecond(w.requests(platform).map((r) => r.at));
  const answered429 = platform === 'telegram' ? w.telegram.tooManyRequests.length : w.discord.globalRateLimited.length;
  await w.stop();
  const ceiling = CEILING[platform];
  const limit =
    platform === 'telegram' ? DEFAULT_RATE_LIMITS.telegramCeiling.limit : DEFAULT_RATE_LIMITS.discordCeiling.limit;
  const perSecond = result.sent / seconds;
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
      ourCeilingPerSecond: limit,
      shareOfCeiling: perSecond / ceiling,
      busiestSecondReceived: busiest,
      answered429,
      realSeconds,
      clockScale: SCALE,
    },
    goal: `all delivered, no 429, busiest second received <= ${ceiling}, at least 90% of our ceiling ${limit}/s`,
    goalMet: result.sent === count && answered429 === 0 && busiest <= ceiling && perSecond >= 0.9 * limit,
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

type Fault = 'hung' | 'rateLimited';

/** Every hundredth chat from the 17th hangs, from the 53rd answers 429: 1% each, spread over the queue. */
function faultOf(i: number): Fault | undefined {
  if (i % 100 === 17) return 'hung';
  if (i % 100 === 53) return 'rateLimited';
  return undefined;
}

function injectFaults(w: World, counts: Record<OutboxPlatform, number>): Map<string, Fault> {
  const faults = new Map<string, Fault>();
  for (const platform of ['telegram', 'discord'] as const) {
    for (let i = 0; i < counts[platform]; i++) {
      const fault = faultOf(i);
      if (fault) faults.set(`${platform}:${chatId(platform, i)}`, fault);
    }
  }
  // Telegram: a hung chat's message is taken and never answered; the others answer 429, retry after an hour.
  w.telegram.hold(
    (call) => call.method === 'sendMessage' && faults.get(`telegram:${String(call.payload.chat_id)}`) === 'hung',
  );
  for (const [key, fault] of faults) {
    const [platform, id = ''] = key.split(':');
    if (platform === 'telegram' && fault === 'rateLimited')
      w.telegram.fail(TELEGRAM_ERRORS.tooManyRequests(3600), { method: 'sendMessage', chatId: id, times: Infinity });
    if (platform === 'discord') {
      const route = new RegExp(`^/channels/${id}/messages$`);
      if (fault === 'hung') w.discord.hang(route, Infinity);
      else w.discord.fail(DISCORD_ERRORS.rateLimited(3600), route, Infinity);
    }
  }
  return faults;
}

interface PlatformOutcome {
  healthy: number;
  healthyDelivered: number;
  /** Healthy messages per platform second, from the start to the last healthy one received. */
  healthyPerSecond: number;
  healthyLate: number;
  busiest: number;
  answered429: number;
  /** Per kind of fault: outbox outcomes (state: error), requests the fake received per chat, messages accepted. */
  faulty: Record<Fault, { rows: number; outcomes: string; requestsPerChatMax: number; deliveredTwice: number }>;
}

function outcomeOf(w: World, platform: OutboxPlatform, faults: Map<string, Fault>, startedAt: number): PlatformOutcome {
  const isHealthy = (id: string): boolean => !faults.has(`${platform}:${id}`);
  const notAfter = startedAt + ALERT_DEADLINE_MS;
  const healthyReceipts = w.accepted(platform).filter((r) => isHealthy(r.chatId));
  const lastAt = Math.max(startedAt + 1, ...healthyReceipts.map((r) => r.at));
  const rows = w.db
    .prepare('SELECT chat_id AS chatId, state, error FROM chat_outbox WHERE platform = ?')
    .all(platform) as { chatId: string; state: string; error: string | null }[];
  const healthyDelivered = rows.filter((r) => isHealthy(r.chatId) && r.state === 'sent').length;
  const requests = w.requests(platform);
  const accepted = w.accepted(platform);
  const faulty = {} as PlatformOutcome['faulty'];
  for (const fault of ['hung', 'rateLimited'] as const) {
    const mine = rows.filter((r) => faults.get(`${platform}:${r.chatId}`) === fault);
    const ids = new Set(mine.map((r) => r.chatId));
    const tally = new Map<string, number>();
    for (const row of mine) {
      // The error's kind only (`maybeSent: no answer within 3000 ms` → `maybeSent`).
      const label = `${row.state}${row.error ? `: ${row.error.split(':')[0] ?? ''}` : ''}`;
      tally.set(label, (tally.get(label) ?? 0) + 1);
    }
    const perChat = (list: readonly Receipt[]): Map<string, number> => {
      const n = new Map<string, number>();
      for (const r of list) if (ids.has(r.chatId)) n.set(r.chatId, (n.get(r.chatId) ?? 0) + 1);
      return n;
    };
    faulty[fault] = {
      rows: mine.length,
      outcomes: [...tally].map(([label, n]) => `${n} ${label}`).join(', '),
      requestsPerChatMax: Math.max(0, ...perChat(requests).values()),
      deliveredTwice: [...perChat(accepted).values()].filter((n) => n > 1).length,
    };
  }
  return {
    healthy: rows.filter((r) => isHealthy(r.chatId)).length,
    healthyDelivered,
    healthyPerSecond: healthyReceipts.length / ((lastAt - startedAt) / 1000),
    healthyLate: healthyReceipts.filter((r) => r.at > notAfter).length,
    busiest: busiestSecond(requests.map((r) => r.at)),
    // 429s of the fakes' own flood limits, not the injected ones.
    answered429:
      platform === 'telegram'
        ? w.telegram.tooManyRequests.filter((r) => faults.get(`telegram:${r.chatId}`) !== 'rateLimited').length
        : w.discord.globalRateLimited.length,
    faulty,
  };
}

async function faultRun(
  counts: Record<OutboxPlatform, number>,
  withFaults: boolean,
): Promise<{ outcomes: Record<OutboxPlatform, PlatformOutcome>; realSeconds: number; seconds: number }> {
  const w = await world(counts, { maxDelayMs: ALERT_DEADLINE_MS, scaleTimeout: true });
  const faults = withFaults ? injectFaults(w, counts) : new Map<string, Fault>();
  const { startedAt, realSeconds } = await drain(w);
  const seconds = (w.clock.now() - startedAt) / 1000;
  const outcomes = {
    telegram: outcomeOf(w, 'telegram', faults, startedAt),
    discord: outcomeOf(w, 'discord', faults, startedAt),
  };
  await w.stop();
  return { outcomes, realSeconds, seconds };
}

export const fanoutFaults: Bench = {
  name: 'fanout-faults',
  description:
    'one alert to 10,000 subscriptions (1,000 quick), half Telegram, half Discord, at once; 1% hang and 1% answer ' +
    '429 with retry_after 3600 s: the healthy 98% against a run of the same size without faults',
  async run({ quick }) {
    const total = quick ? 1_000 : 10_000;
    const counts: Record<OutboxPlatform, number> = { telegram: total / 2, discord: total / 2 };
    const clean = await faultRun(counts, false);
    const faulty = await faultRun(counts, true);
    return (['telegram', 'discord'] as const).map((platform): BenchFigures => {
      const base = clean.outcomes[platform];
      const got = faulty.outcomes[platform];
      const share = got.healthyPerSecond / base.healthyPerSecond;
      const ceiling = CEILING[platform];
      const neverResent =
        platform === 'telegram'
          ? got.faulty.hung.requestsPerChatMax <= 1 && got.faulty.rateLimited.requestsPerChatMax <= 1
          : got.faulty.rateLimited.requestsPerChatMax <= 1;
      const noDuplicates = got.faulty.hung.deliveredTwice + got.faulty.rateLimited.deliveredTwice === 0;
      return {
        bench: 'fanout-faults',
        case: `${platform} x ${counts[platform]} of ${total}, 1% hung + 1% 429`,
        figures: {
          subscriptions: counts[platform],
          healthy: got.healthy,
          healthyDelivered: got.healthyDelivered,
          healthyPerSecond: got.healthyPerSecond,
          noFaultPerSecond: base.healthyPerSecond,
          healthyShareOfNoFault: share,
          healthyLate: got.healthyLate,
          busiestSecondReceived: got.busiest,
          busiestSecondNoFault: base.busiest,
          ceilingPerSecond: ceiling,
          answered429ByLimits: got.answered429,
          hungRows: got.faulty.hung.rows,
          hungOutcome: got.faulty.hung.outcomes,
          hungRequestsPerChatMax: got.faulty.hung.requestsPerChatMax,
          rateLimitedRows: got.faulty.rateLimited.rows,
          rateLimitedOutcome: got.faulty.rateLimited.outcomes,
          rateLimitedRequestsPerChatMax: got.faulty.rateLimited.requestsPerChatMax,
          faultyDeliveredTwice: got.faulty.hung.deliveredTwice + got.faulty.rateLimited.deliveredTwice,
          platformSecondsFaults: faulty.seconds,
          platformSecondsNoFault: clean.seconds,
          realSeconds: faulty.realSeconds + clean.realSeconds,
          clockScale: SCALE,
          time: HONESTY,
        },
        goal:
          `healthy delivered, within 10% of the no-fault rate, none late, busiest second <= ${ceiling}, ` +
          'faulty given up and never resent (Discord: only under its nonce)',
        goalMet:
          got.healthyDelivered === got.healthy &&
          share >= 0.9 &&
          got.healthyLate === 0 &&
          got.busiest <= ceiling &&
          base.busiest <= ceiling &&
          got.answered429 === 0 &&
          neverResent &&
          noDuplicates,
      };
    });
  },
};

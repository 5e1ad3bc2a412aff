// Starts the chat side from the configuration: the delivery seam, the Discord and Telegram adapters that are
// configured, and the outbox worker. main.ts calls this once; `stop` undoes it.
import type Database from 'better-sqlite3';
import type { CommandDefinition, Services } from '../commands/command.js';
import type { Config } from '../config/env.js';
import type { Glossary } from '../glossary/types.js';
import type { Logger } from '../log/logger.js';
import { SqliteOutbox, sqliteOutboxQueue } from '../store/outbox.js';
import { SqliteSubscriptionStore } from '../store/subscriptions.js';
import { systemClock, type Clock } from './clock.js';
import { Delivery, type DeliveryOptions } from './delivery.js';
import { discordAlertSender, discordShardsOf, startDiscordAdapter, type DiscordAdapter } from './discord.js';
import { describeError } from './errors.js';
import {
  OutboxWorker,
  subscriptionChatEvents,
  wireReportingSender,
  type OutboxEvents,
  type OutboxSender,
} from './outbox-worker.js';
import { startTelegramAdapter, type TelegramAdapter } from './telegram.js';

export type ChatConfig = Pick<
  Config,
  | 'DISCORD_TOKEN'
  | 'DISCORD_API_BASE'
  | 'TELEGRAM_BOT_TOKEN'
  | 'TELEGRAM_API_ROOT'
  | 'TELEGRAM_WEBHOOK_URL'
  | 'TELEGRAM_WEBHOOK_SECRET'
  | 'TELEGRAM_WEBHOOK_PORT'
> &
  Partial<Pick<Config, 'TELEGRAM_CONFLICT_MAX_S' | 'DISCORD_SHARDS' | 'DISCORD_SHARD_COUNT'>>;

export interface StartChatOptions {
  config: ChatConfig;
  /** A database migrated to include the chat tables. */
  db: Database.Database;
  glossary: Glossary;
  commands: readonly CommandDefinition[];
  /** Other services commands read (market, health). */
  services?: Omit<Services, 'glossary' | 'subscriptions'>;
  symbols?: (prefix: string) => readonly string[];
  log: Logger;
  clock?: Clock;
  /** How often the outbox is drained, ms. Default 1000. */
  drainEveryMs?: number;
  delivery?: Omit<DeliveryOptions, 'events' | 'log' | 'clock'>;
  /** Observers of the outbox worker's outcomes (metrics). */
  outboxEvents?: OutboxEvents;
  /** A chat part stopped for good and cannot recover by itself (Telegram polling): main stops the bot. */
  onFatal?: (reason: string) => void;
}

export interface ChatRuntime {
  subscriptions: SqliteSubscriptionStore;
  outbox: SqliteOutbox;
  delivery: Delivery;
  discord: DiscordAdapter | undefined;
  telegram: TelegramAdapter | undefined;
  worker: OutboxWorker;
  stop(): Promise<void>;
}

export async function startChat(options: StartChatOptions): Promise<ChatRuntime> {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;
  const subscriptions = new SqliteSubscriptionStore(options.db);
  const outbox = new SqliteOutbox(options.db);
  const recovered = outbox.recoverInFlight({ now: clock.now() });
  if (recovered.requeued + recovered.unknown > 0)
    log.warn('outbox rows were in flight at the last shutdown', { ...recovered });
  // The worker exists before the seam so that it reports rows dropped for a gone chat; the adapters fill in
  // its senders below and it starts once they are there.
  const senders: { discord?: OutboxSender; telegram?: OutboxSender } = {};
  const worker = new OutboxWorker({
    outbox: sqliteOutboxQueue(outbox),
    clock,
    senders,
    log,
    ...(options.outboxEvents ? { events: options.outboxEvents } : {}),
  });
  const delivery = new Delivery({
    ...options.delivery,
    clock,
    log,
    events: subscriptionChatEvents(subscriptions, outbox, {
      now: () => clock.now(),
      onDropped: (rows, reason) => worker.recordDropped(rows, reason),
    }),
  });
  const context = (caller: Parameters<Parameters<typeof startDiscordAdapter>[0]['context']>[0]) => ({
    services: { ...options.services, glossary: options.glossary, subscriptions },
    now: clock.now(),
    caller,
    commands: options.commands,
  });
  const reportFailure = (error: unknown, command: string): void => log.error('command failed', { command, error });

  let discord: DiscordAdapter | undefined;
  if (config.DISCORD_TOKEN) {
    discord = await startDiscordAdapter({
      token: config.DISCORD_TOKEN,
      ...(config.DISCORD_API_BASE ? { apiBase: config.DISCORD_API_BASE } : {}),
      commands: options.commands,
      context,
      glossary: options.glossary,
      ...(options.symbols ? { symbols: options.symbols } : {}),
      delivery,
      reportFailure,
      log,
      shards: discordShardsOf(config),
    });
    senders.discord = discordAlertSender(discord.client.rest, delivery);
  }
  let telegram: TelegramAdapter | undefined;
  if (config.TELEGRAM_BOT_TOKEN) {
    const webhook =
      config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
        ? {
            url: config.TELEGRAM_WEBHOOK_URL,
            secretToken: config.TELEGRAM_WEBHOOK_SECRET,
            // Its own port: HTTP_PORT serves /healthz and /metrics (src/ops).
            port: config.TELEGRAM_WEBHOOK_PORT ?? 8443,
            host: '0.0.0.0',
          }
        : undefined;
    telegram = await startTelegramAdapter({
      token: config.TELEGRAM_BOT_TOKEN,
      ...(config.TELEGRAM_API_ROOT ? { apiRoot: config.TELEGRAM_API_ROOT } : {}),
      ...(webhook ? { webhook } : {}),
      commands: options.commands,
      context,
      glossary: options.glossary,
      delivery,
      reportFailure,
      log,
      ...(config.TELEGRAM_CONFLICT_MAX_S !== undefined
        ? { polling: { retry: { conflictGiveUpMs: config.TELEGRAM_CONFLICT_MAX_S * 1000 } } }
        : {}),
      onPollingFailed: (error) => options.onFatal?.(`telegram polling stopped: ${describeError(error)}`),
    });
    const adapter = telegram;
    senders.telegram = wireReportingSender((row, onPartSent, context) =>
      adapter.sendAlert(row.chatId, row.reply, {
        notAfter: row.notAfter,
        fromPart: row.partsSent,
        ...(onPartSent ? { onPartSent } : {}),
        ...(context ? { wire: context.wire } : {}),
      }),
    );
  }
  worker.start(options.drainEveryMs ?? 1000);
  return {
    subscriptions,
    outbox,
    delivery,
    discord,
    telegram,
    worker,
    async stop() {
      await worker.stop();
      await telegram?.stop();
      await discord?.stop();
    },
  };
}

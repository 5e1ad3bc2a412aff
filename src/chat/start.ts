// Starts the chat side from the configuration: the delivery seam, the Discord and Telegram adapters that are
// configured, and the outbox worker. main.ts calls this once; `stop` undoes it.
import { Telegram } from 'telegraf';
import type { CommandDefinition, Services } from '../commands/command.js';
import type { Config } from '../config/env.js';
import type { Glossary } from '../glossary/types.js';
import type { Logger } from '../log/logger.js';
import type { ChatStore } from '../domain/outbox.js';
import { systemClock, type Clock } from './clock.js';
import { Delivery, type DeliveryOptions } from './delivery.js';
import { discordAlertSender, discordShardsOf, startDiscordAdapter, type DiscordAdapter } from './discord.js';
import { describeError } from './errors.js';
import { OutboxWorker, subscriptionChatEvents, type OutboxEvents, type OutboxSender } from './outbox-worker.js';
import type { PollingStatus } from './polling.js';
import { startTelegramAdapter, telegramAlertSender, type TelegramAdapter } from './telegram.js';

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
  /** Where subscriptions, the outbox and the alerts' marks are kept (SQLite, or Postgres shared by instances). */
  store: ChatStore;
  /**
   * Telegram long polling (no webhook) at start (`now`, the default), or only once `setTelegramPolling(true)` asks
   * for it: with several instances, the leader alone polls. Alerts are sent either way; a webhook runs at start.
   */
  telegramPolling?: 'now' | 'when-asked';
  glossary: Glossary;
  commands: readonly CommandDefinition[];
  /** Other services commands read (market, health). */
  services?: Omit<Services, 'glossary' | 'subscriptions'>;
  symbols?: (prefix: string) => readonly string[];
  log: Logger;
  clock?: Clock;
  /** The time commands answer at, on the clock market data is stamped with (default: the delivery clock). */
  commandNow?: () => number;
  /** How often the outbox is drained, ms. Default 1000. */
  drainEveryMs?: number;
  delivery?: Omit<DeliveryOptions, 'events' | 'log' | 'clock'>;
  /** Observers of the outbox worker's outcomes (metrics). */
  outboxEvents?: OutboxEvents;
  /** A chat part stopped for good and cannot recover by itself (Telegram polling): main stops the bot. */
  onFatal?: (reason: string) => void;
}

export interface ChatRuntime {
  subscriptions: ChatStore['subscriptions'];
  store: ChatStore;
  delivery: Delivery;
  discord: DiscordAdapter | undefined;
  /** The Telegram adapter receiving updates now (undefined while polling waits to be asked for). */
  telegram(): TelegramAdapter | undefined;
  /** Whether long polling works, for /healthz; undefined when this instance does not poll. */
  telegramPollingStatus(): PollingStatus | undefined;
  /** Starts or stops Telegram long polling (with `telegramPolling: 'when-asked'`); else does nothing. */
  setTelegramPolling(on: boolean): Promise<void>;
  worker: OutboxWorker;
  stop(): Promise<void>;
}

export async function startChat(options: StartChatOptions): Promise<ChatRuntime> {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;
  const { store } = options;
  const subscriptions = store.subscriptions;
  // The worker exists before the seam so that it reports rows dropped for a gone chat; the adapters fill in
  // its senders below and it starts once they are there.
  const senders: { discord?: OutboxSender; telegram?: OutboxSender } = {};
  const worker = new OutboxWorker({
    outbox: store.queue,
    clock,
    senders,
    log,
    ...(options.outboxEvents ? { events: options.outboxEvents } : {}),
  });
  const delivery = new Delivery({
    ...options.delivery,
    clock,
    log,
    events: subscriptionChatEvents(subscriptions, store, {
      now: () => clock.now(),
      onDropped: (rows, reason) => worker.recordDropped(rows, reason),
      onError: (error) => log.warn('the outbox did not take a chat change', { error: describeError(error) }),
    }),
  });
  const context = (caller: Parameters<Parameters<typeof startDiscordAdapter>[0]['context']>[0]) => ({
    services: { ...options.services, glossary: options.glossary, subscriptions },
    now: options.commandNow?.() ?? clock.now(),
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
  let telegramChange: Promise<void> = Promise.resolve();
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
  const startTelegram = async (token: string): Promise<TelegramAdapter> =>
    startTelegramAdapter({
      token,
      ...(config.TELEGRAM_API_ROOT ? { apiRoot: config.TELEGRAM_API_ROOT } : {}),
      ...(webhook ? { webhook } : {}),
      // Behind one webhook, several instances may get the same update: the first to claim it answers.
      ...(webhook && store.claimTelegramUpdate ? { claimUpdate: store.claimTelegramUpdate } : {}),
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
  const pollsWhenAsked = options.telegramPolling === 'when-asked' && webhook === undefined;
  if (config.TELEGRAM_BOT_TOKEN) {
    const token = config.TELEGRAM_BOT_TOKEN;
    if (!pollsWhenAsked) telegram = await startTelegram(token);
    // Alerts go out through a client of their own, whether or not this instance receives updates.
    const client = new Telegram(token, config.TELEGRAM_API_ROOT ? { apiRoot: config.TELEGRAM_API_ROOT } : {});
    senders.telegram = telegramAlertSender(client, delivery);
  }

  /** One change at a time: a quick lose-and-regain of leadership stops the old polling before the new starts. */
  const setTelegramPolling = (on: boolean): Promise<void> => {
    const token = config.TELEGRAM_BOT_TOKEN;
    if (!pollsWhenAsked || token === undefined) return Promise.resolve();
    telegramChange = telegramChange.then(async () => {
      if (on && telegram === undefined) {
        try {
          telegram = await startTelegram(token);
        } catch (error) {
          options.onFatal?.(`telegram polling could not start: ${describeError(error)}`);
        }
      } else if (!on && telegram !== undefined) {
        const running = telegram;
        telegram = undefined;
        await running.stop();
      }
    });
    return telegramChange;
  };

  worker.start(options.drainEveryMs ?? 1000);
  return {
    subscriptions,
    store,
    delivery,
    discord,
    telegram: () => telegram,
    telegramPollingStatus: () => telegram?.pollingStatus(),
    setTelegramPolling,
    worker,
    async stop() {
      await worker.stop();
      await setTelegramPolling(false);
      await telegram?.stop();
      await discord?.stop();
    },
  };
}

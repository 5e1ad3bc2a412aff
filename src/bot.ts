// The bot as `npm start` runs it: the store, the chats, the ops server, the schedule and, while this instance
// leads, the market service and the risk loop. Alone on SQLite it always leads. With DATABASE_URL, instances on one
// Postgres elect a leader: the leader polls the venues, scores, queues alerts and long-polls Telegram; every
// instance answers commands and drains the outbox; a follower keeps its copy of the market data current.
import cron from 'node-cron';
import { openBackend, pollIntervalMs } from './app.js';
import { createChartRenderer } from './charts/index.js';
import { startConsoleAdapter, type ConsoleAdapter } from './chat/console.js';
import { outboxEntriesOf } from './chat/fanout.js';
import { startChat, type ChatRuntime } from './chat/start.js';
import { startLeaderElection, type LeaderElection } from './cluster/leader.js';
import type { Services } from './commands/command.js';
import { commands } from './commands/index.js';
import { describeConfig, secretValues, type Config } from './config/env.js';
import type { MarketDataSink, VenueHealthReader } from './domain/ports.js';
import { loadGlossary } from './glossary/load.js';
import { SINGLE_ROLE } from './log/instance.js';
import { createLogger } from './log/logger.js';
import { createMarketService, type MarketService } from './market/service.js';
import { cronLoggerFor, SerialJob } from './market/scheduler.js';
import { checkHealth } from './ops/health.js';
import { createMetrics } from './ops/metrics.js';
import { startOpsServer, type OpsServer } from './ops/server.js';
import { gracefulShutdown } from './ops/shutdown.js';
import { chatAlertSink, consoleAlertSink, createRiskLoop, type AlertSink, type RiskLoop } from './pipeline/riskLoop.js';

export interface BotOptions {
  /**
   * The clock market data, scores and alert marks are stamped with (default Date.now). A scenario replayed faster
   * than real time passes its scenario clock; delivery, leases and timers keep the wall clock.
   */
  marketNow?: () => number;
}

/** How long an alert stays worth sending; after that the outbox gives it up as too late. */
const ALERT_MAX_DELAY_MS = 15 * 60_000;
/**
 * Hourly: the rows past RETENTION_DAYS go and the hour of snapshots the 24 h window let go of is thinned. Small
 * steps keep each run short (about a second at 2,000 markets) and the week on disk under its budget.
 */
const PRUNE_CRON = '0 30 * * * *';
/** After a clean stop the process should exit by itself; if a library still holds a handle, exit anyway. */
const EXIT_GRACE_MS = 3_000;
/** How long the outbox worker may take to finish the send in flight at shutdown. */
const CHAT_STOP_TIMEOUT_MS = 20_000;
/** The name instances on one database compete for. */
const ELECTION_NAME = 'spiralwatch';

/** Runs the bot until SIGTERM or SIGINT; then it stops in order and the process exits by itself. */
export async function runBot(config: Config, options: BotOptions = {}): Promise<void> {
  const marketNow = options.marketNow ?? Date.now;
  const databaseUrl = config.DATABASE_URL;
  let role: string = databaseUrl === undefined ? SINGLE_ROLE : 'follower';
  const log = createLogger({
    level: config.LOG_LEVEL,
    format: process.stderr.isTTY ? 'pretty' : 'json',
    // Configured tokens and the database password are masked wherever they appear, library errors included.
    secrets: secretValues(config),
    instance: config.INSTANCE_ID,
    role: () => role,
  });
  log.info('starting Spiralwatch', { settings: describeConfig(config) });
  const startedAt = Date.now();
  const expectedPollMs = pollIntervalMs(config.FAST_POLL_CRON);

  // Metrics only when they are served (HTTP_PORT).
  const metrics = config.HTTP_PORT !== undefined ? createMetrics({ processMetrics: true }) : undefined;
  const glossary = loadGlossary();
  const backend = await openBackend(config, log, marketNow);
  log.info('store open', { ...backend.where, glossaryEntries: glossary.entries.length });

  // Present while this instance leads; the others show the health the leader saved.
  let market: MarketService | undefined;
  const health: VenueHealthReader = { venueHealth: () => (market ?? backend.savedHealth).venueHealth() };
  const leverageTiers = (exchange: Parameters<MarketService['leverageTiers']>[0], symbol: string) =>
    market?.leverageTiers(exchange, symbol);
  metrics?.setSources({
    // The venue gauges are the poller's: a follower has none.
    venues: () => market?.venueHealth() ?? [],
    liquidationsSaved: (exchange) => market?.streamCounters(exchange).saved ?? 0,
  });

  let chat: ChatRuntime | undefined;
  // A chat part that cannot recover (Telegram polling after a long 409 Conflict) stops the bot with exit code 1, so
  // that a supervisor restarts it. Until the shutdown exists (below), a failure is kept and acted on then.
  let fatal: string | undefined;
  let onFatal = (reason: string): void => {
    fatal ??= reason;
  };
  // Started first, so that a port already in use stops the bot before anything else runs.
  let ops: OpsServer | undefined;
  if (config.HTTP_PORT !== undefined && metrics) {
    ops = await startOpsServer({
      port: config.HTTP_PORT,
      host: config.HTTP_HOST,
      log,
      metrics,
      health: () =>
        checkHealth(
          {
            venues: () => health.venueHealth(),
            // The outbox rule applies once a chat is configured (read when asked: the chat starts after this).
            ...(chat ? { oldestPendingAt: () => chat?.store.oldestPendingAt() ?? null } : {}),
            telegramPolling: () => chat?.telegramPollingStatus(),
            instance: () => ({ id: config.INSTANCE_ID, role, discordShards: chat?.discord?.shards ?? null }),
            now: Date.now,
            startedAt,
          },
          { cycleMs: expectedPollMs },
        ),
    });
  }

  const sinks: AlertSink[] = [];
  let riskLatest: RiskLoop['latest'] = () => undefined;
  const services = (): Services => ({
    glossary,
    market: backend.market,
    health,
    leverageTiers,
    risk: { latest: () => riskLatest() },
  });
  const symbols = (prefix: string): string[] => {
    const wanted = prefix.toUpperCase();
    return [...new Set(backend.market.markets().map((m) => m.base))].filter((b) => b.startsWith(wanted)).sort();
  };

  let consoleAdapter: ConsoleAdapter | undefined;
  if (config.DISCORD_TOKEN !== undefined || config.TELEGRAM_BOT_TOKEN !== undefined) {
    const store = await backend.openChat();
    chat = await startChat({
      config,
      store,
      glossary,
      commands,
      // Chat replies carry pictures; the console shows text only.
      services: { ...services(), charts: createChartRenderer('dark') },
      symbols,
      log,
      ...(metrics ? { outboxEvents: metrics.outbox, delivery: { onRetry: metrics.deliveryRetry } } : {}),
      onFatal: (reason) => onFatal(reason),
      // Two instances long-polling one token fight over getUpdates: the leader alone polls.
      telegramPolling: databaseUrl === undefined ? 'now' : 'when-asked',
      commandNow: marketNow,
    });
    metrics?.setSources({ oldestPendingAt: () => store.oldestPendingAt() });
    sinks.push(
      chatAlertSink(store.subscriptions, store, (alerts, now) => {
        const { items, marks } = outboxEntriesOf(alerts, { now, queuedAt: Date.now(), maxDelayMs: ALERT_MAX_DELAY_MS });
        store.enqueue(items, marks).then(
          (rows) => {
            log.info('alerts queued', { alerts: alerts.length, rows });
            for (const [platform, count] of Object.entries(rows)) metrics?.alertsQueued(platform, count);
          },
          (error: unknown) => log.error('alerts not queued', { alerts: alerts.length, error }),
        );
      }),
    );
  } else {
    log.info('no chat platform configured: commands are read from the console, alerts printed there');
    const adapter = startConsoleAdapter({
      input: process.stdin,
      output: process.stdout,
      prompt: process.stdin.isTTY === true,
      context: () => ({
        services: services(),
        now: Date.now(),
        caller: { platform: 'console', canManageSubscriptions: true },
        commands,
      }),
      reportFailure: (error, command) => log.error('command failed', { command, error }),
    });
    consoleAdapter = adapter;
    sinks.push(consoleAlertSink((reply) => adapter.post(reply)));
  }

  // One per term of leadership: the levels it remembers from an earlier term would be stale.
  let riskLoop: RiskLoop | undefined;
  const newRiskLoop = (): RiskLoop =>
    createRiskLoop({
      market: backend.market,
      health,
      leverageTiers,
      sinks,
      now: marketNow,
      log,
      ...(metrics ? { onPass: metrics.riskPass } : {}),
    });

  // ---- leading and following ----
  let election: LeaderElection | undefined = undefined;
  let leading = false;
  /** A leader past its lease deadline reads as follower at once, before its role change has run. */
  const isLeading = (): boolean => leading && (election === undefined || election.role() === 'leader');
  let stopFollowing: (() => void) | undefined;
  let roleChanges: Promise<void> = Promise.resolve();

  // A deposed leader (its lease ran out while it was stuck) writes nothing more, even before its role change runs.
  const fencedSink: MarketDataSink = {
    saveMarkets(markets) {
      if (isLeading()) backend.market.saveMarkets(markets);
    },
    saveSnapshots(snapshots) {
      if (isLeading()) backend.market.saveSnapshots(snapshots);
    },
    saveLiquidations: (liquidations) => (isLeading() ? backend.market.saveLiquidations(liquidations) : 0),
  };

  const lead = async (): Promise<void> => {
    stopFollowing?.();
    stopFollowing = undefined;
    await backend.lead();
    const service = createMarketService({
      config,
      sink: fencedSink,
      now: marketNow,
      log,
      ...(metrics ? { events: metrics.market } : {}),
    });
    market = service;
    riskLoop = newRiskLoop();
    riskLatest = riskLoop.latest;
    leading = true;
    await service.start();
    await chat?.setTelegramPolling(true);
    // The slow and depth jobs first run minutes after start; one warm-up cycle fills ratios, tiers and books now.
    void service
      .pollOnce({ include: ['slow', 'depth'] })
      .then(() => riskJob.trigger())
      .catch((error: unknown) => log.error('warm-up poll failed', { error }));
  };
  const follow = async (): Promise<void> => {
    leading = false;
    stopFollowing?.();
    stopFollowing = undefined;
    const service = market;
    market = undefined;
    await riskJob.idle();
    await service?.stop();
    await chat?.setTelegramPolling(false);
    await backend.flush();
    if (!shutdown.stopping) stopFollowing = backend.follow();
  };
  const changeRole = (next: 'leader' | 'follower'): void => {
    role = next;
    if (next === 'follower') leading = false; // no new pass starts from here on
    log.info(next === 'leader' ? 'leading: polling the venues and scoring' : 'following the leader');
    roleChanges = roleChanges
      .then(() => (next === 'leader' && !shutdown.stopping ? lead() : follow()))
      .catch((error: unknown) => void shutdown.fail(`could not take up the role ${next}: ${String(error)}`));
  };

  // Stop order: no new runs; the market stops (sockets closed) and its last rows land; the lease is handed over;
  // the outbox worker finishes the send in flight (rows not yet tried stay queued); then the servers and the store.
  const shutdown = gracefulShutdown({
    log,
    steps: [
      {
        name: 'schedule',
        run: async () => {
          for (const task of tasks) await task.stop();
          consoleAdapter?.close();
        },
      },
      { name: 'risk loop', run: () => riskJob.idle() },
      {
        name: 'market',
        run: async () => {
          await roleChanges;
          await follow();
        },
      },
      { name: 'leadership', run: async () => election?.stop() },
      { name: 'chat', run: async () => chat?.stop(), timeoutMs: CHAT_STOP_TIMEOUT_MS },
      { name: 'ops server', run: async () => ops?.close() },
      { name: 'store', run: () => backend.close() },
    ],
    done: (code) => {
      process.exitCode = code;
      setTimeout(() => {
        log.warn('handles still open after stopping; exiting', { resources: process.getActiveResourcesInfo() });
        process.exit(code);
      }, EXIT_GRACE_MS).unref();
    },
    abort: () => process.exit(1),
  });
  onFatal = (reason) => void shutdown.fail(reason);
  if (fatal !== undefined) onFatal(fatal);
  const riskJob = new SerialJob(
    'risk',
    async () => {
      if (shutdown.stopping || !isLeading()) return;
      riskLoop?.runOnce();
      if (market) backend.savedHealth.save(market.venueHealth(), Date.now());
    },
    (name) => log.warn('a run was still going: skipped', { job: name }),
  );
  const cronLogger = cronLoggerFor(log);
  const tasks = [
    cron.schedule(config.RISK_CRON, () => riskJob.trigger().then(() => undefined), {
      name: 'risk',
      logger: cronLogger,
    }),
    cron.schedule(PRUNE_CRON, () => (isLeading() ? backend.maintain() : undefined), {
      name: 'prune',
      logger: cronLogger,
    }),
  ];
  process.on('SIGINT', () => void shutdown.handle('SIGINT'));
  process.on('SIGTERM', () => void shutdown.handle('SIGTERM'));

  if (databaseUrl === undefined) {
    await lead();
    return;
  }
  stopFollowing = backend.follow();
  election = startLeaderElection({
    url: databaseUrl,
    name: ELECTION_NAME,
    instanceId: config.INSTANCE_ID,
    onRoleChange: changeRole,
    log: log.child({ module: 'leader' }),
  });
}

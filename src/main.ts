// `npm start`: wires the parts together and runs until stopped. Nothing else lives here.
import { existsSync } from 'node:fs';
import cron from 'node-cron';
import { openApp, pollIntervalMs } from './app.js';
import { startConsoleAdapter, type ConsoleAdapter } from './chat/console.js';
import { enqueueAlerts } from './chat/fanout.js';
import { startChat, type ChatRuntime } from './chat/start.js';
import { createChartRenderer } from './charts/index.js';
import { commands } from './commands/index.js';
import { ConfigError, SECRET_KEYS, describeConfig, loadConfig } from './config/env.js';
import { SINGLE_ROLE } from './log/instance.js';
import { createLogger, type Logger } from './log/logger.js';
import { cronLoggerFor, SerialJob } from './market/scheduler.js';
import { checkHealth } from './ops/health.js';
import { createMetrics } from './ops/metrics.js';
import { startOpsServer, type OpsServer } from './ops/server.js';
import { gracefulShutdown } from './ops/shutdown.js';
import { chatAlertSink, consoleAlertSink, createRiskLoop, type AlertSink } from './pipeline/riskLoop.js';
import type { SqliteMarketStore } from './store/index.js';

/** How long an alert stays worth sending; after that the outbox gives it up as too late. */
const ALERT_MAX_DELAY_MS = 15 * 60_000;
/**
 * Hourly: the rows past RETENTION_DAYS go and the hour of snapshots the 24 h window let go of is thinned. Small
 * steps keep each run short (about a second at 2,000 markets) and the week on disk under 1 GB.
 */
const PRUNE_CRON = '0 30 * * * *';
/** After a clean stop the process should exit by itself; if a library still holds a handle, exit anyway. */
const EXIT_GRACE_MS = 3_000;
/** How long the outbox worker may take to finish the send in flight at shutdown. */
const CHAT_STOP_TIMEOUT_MS = 20_000;

/**
 * Prunes past RETENTION_DAYS, then thins what the window let go of one 30-minute bucket at a time, yielding between
 * buckets: the first run after an upgrade may have days to thin, and polls, scores and sends go on meanwhile.
 */
async function maintainStore(store: SqliteMarketStore, log: Logger): Promise<void> {
  try {
    const pruned = store.pruneExpired({ compactBuckets: 1 });
    let compacted = pruned.compactedSnapshots;
    let done = pruned.compactionDone;
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      const step = store.compact(1);
      compacted += step.snapshots;
      done = step.done;
    }
    log.info('pruned old rows', { ...pruned, compactedSnapshots: compacted });
  } catch (error) {
    // A stop closes the store under a run in progress; the next run starts from the oldest row again.
    log.warn('store maintenance stopped', { error });
  }
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const log = createLogger({
    level: config.LOG_LEVEL,
    format: process.stderr.isTTY ? 'pretty' : 'json',
    // Configured tokens are masked wherever they appear, error messages from libraries included.
    secrets: [config.DISCORD_TOKEN, config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_WEBHOOK_SECRET],
    instance: config.INSTANCE_ID,
    // One process holds every role until instances elect a leader.
    role: () => SINGLE_ROLE,
  });
  log.info('starting Spiralwatch', { settings: describeConfig(config) });
  const startedAt = Date.now();

  // Metrics only when they are served (HTTP_PORT).
  const metrics = config.HTTP_PORT !== undefined ? createMetrics({ processMetrics: true }) : undefined;
  const app = openApp(config, log, { market: true, ...(metrics ? { marketEvents: metrics.market } : {}) });
  const market = app.market;
  if (!market) throw new Error('the market service was not created');
  log.info('store open', { path: app.store.path, glossaryEntries: app.glossary.entries.length });
  metrics?.setSources({
    venues: () => market.venueHealth(),
    liquidationsSaved: (exchange) => market.streamCounters(exchange).saved,
  });

  let chat: ChatRuntime | undefined;
  // A chat part that cannot recover (Telegram polling after a long 409 Conflict) stops the bot with exit code 1, so
  // that a supervisor restarts it. Until the shutdown exists (below), a failure is kept and acted on then.
  let chatFailure: string | undefined;
  let onChatFailure = (reason: string): void => {
    chatFailure ??= reason;
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
            venues: () => market.venueHealth(),
            // The outbox rule applies once a chat is configured (read when asked: the chat starts after this).
            ...(chat ? { oldestPendingAt: () => chat?.outbox.oldestPendingAt() ?? null } : {}),
            telegramPolling: () => chat?.telegram?.pollingStatus(),
            instance: () => ({
              id: config.INSTANCE_ID,
              role: SINGLE_ROLE,
              discordShards: chat?.discord?.shards ?? null,
            }),
            now: Date.now,
            startedAt,
          },
          { cycleMs: pollIntervalMs(config.FAST_POLL_CRON) },
        ),
    });
  }

  const sinks: AlertSink[] = [];
  let riskLatest: ReturnType<typeof createRiskLoop>['latest'] = () => undefined;
  const services = () => ({ ...app.services(), risk: { latest: () => riskLatest() } });
  const symbols = (prefix: string): string[] => {
    const wanted = prefix.toUpperCase();
    return [...new Set(app.store.markets().map((m) => m.base))].filter((b) => b.startsWith(wanted)).sort();
  };

  let consoleAdapter: ConsoleAdapter | undefined;
  if (config.DISCORD_TOKEN !== undefined || config.TELEGRAM_BOT_TOKEN !== undefined) {
    chat = await startChat({
      config,
      db: app.store.db,
      glossary: app.glossary,
      commands,
      // Chat replies carry pictures; the console shows text only.
      services: { ...services(), charts: createChartRenderer('dark') },
      symbols,
      log,
      ...(metrics ? { outboxEvents: metrics.outbox, delivery: { onRetry: metrics.deliveryRetry } } : {}),
      onFatal: (reason) => onChatFailure(reason),
    });
    const outbox = chat.outbox;
    metrics?.setSources({ oldestPendingAt: () => outbox.oldestPendingAt() });
    sinks.push(
      chatAlertSink(chat.subscriptions, outbox, (alerts, now) => {
        const rows = enqueueAlerts(outbox, alerts, { now, maxDelayMs: ALERT_MAX_DELAY_MS });
        log.info('alerts queued', { alerts: alerts.length, rows });
        for (const [platform, count] of Object.entries(rows)) metrics?.alertsQueued(platform, count);
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

  const riskLoop = createRiskLoop({
    market: app.store,
    health: market,
    leverageTiers: (exchange, symbol) => market.leverageTiers(exchange, symbol),
    sinks,
    now: Date.now,
    log,
    ...(metrics ? { onPass: metrics.riskPass } : {}),
  });
  riskLatest = riskLoop.latest;
  // Stop order: no new runs, then the market (sockets closed), then the outbox worker finishes the send in flight
  // (rows not yet tried stay pending in SQLite for the next start), then the ops server and the database.
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
      { name: 'market', run: () => market.stop() },
      { name: 'chat', run: async () => chat?.stop(), timeoutMs: CHAT_STOP_TIMEOUT_MS },
      { name: 'ops server', run: async () => ops?.close() },
      { name: 'store', run: () => app.store.close() },
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
  onChatFailure = (reason) => void shutdown.fail(reason);
  if (chatFailure !== undefined) onChatFailure(chatFailure);
  const riskJob = new SerialJob(
    'risk',
    async () => {
      if (shutdown.stopping) return;
      riskLoop.runOnce();
      app.savedHealth.save(market.venueHealth(), Date.now());
    },
    (name) => log.warn('a run was still going: skipped', { job: name }),
  );
  const cronLogger = cronLoggerFor(log);
  const tasks = [
    cron.schedule(config.RISK_CRON, () => riskJob.trigger().then(() => undefined), {
      name: 'risk',
      logger: cronLogger,
    }),
    cron.schedule(PRUNE_CRON, () => maintainStore(app.store, log), { name: 'prune', logger: cronLogger }),
  ];
  process.on('SIGINT', () => void shutdown.handle('SIGINT'));
  process.on('SIGTERM', () => void shutdown.handle('SIGTERM'));
  await market.start();
  // The slow and depth jobs first run minutes after start; one warm-up cycle fills ratios, tiers and books now.
  void market
    .pollOnce({ include: ['slow', 'depth'] })
    .then(() => riskJob.trigger())
    .catch((error: unknown) => log.error('warm-up poll failed', { error }));
}

main().catch((error: unknown) => {
  let text = `${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
  // A library's error may quote a token (a request URL): mask the configured ones here too.
  for (const key of SECRET_KEYS) {
    const value = process.env[key]?.trim();
    if (value !== undefined && value.length >= 8) text = text.split(value).join('[masked]');
  }
  process.stderr.write(text);
  // A start-up failure may leave servers or sockets open (the ops server, a chat adapter): exit rather than hang.
  process.exit(1);
});

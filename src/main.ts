// `npm start`: wires the parts together and runs until stopped. Nothing else lives here.
import { existsSync } from 'node:fs';
import cron from 'node-cron';
import { openApp } from './app.js';
import { startConsoleAdapter, type ConsoleAdapter } from './chat/console.js';
import { enqueueAlerts } from './chat/fanout.js';
import { startChat, type ChatRuntime } from './chat/start.js';
import { commands } from './commands/index.js';
import { ConfigError, describeConfig, loadConfig } from './config/env.js';
import { createLogger } from './log/logger.js';
import { SerialJob } from './market/scheduler.js';
import { chatAlertSink, consoleAlertSink, createRiskLoop, type AlertSink } from './pipeline/riskLoop.js';

/** How long an alert stays worth sending; after that the outbox gives it up as too late. */
const ALERT_MAX_DELAY_MS = 15 * 60_000;
const PRUNE_CRON = '0 30 3 * * *';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.LOG_LEVEL, format: process.stderr.isTTY ? 'pretty' : 'json' });
  log.info('starting Spiralwatch', { settings: describeConfig(config) });

  const app = openApp(config, log, { market: true });
  const market = app.market;
  if (!market) throw new Error('the market service was not created');
  log.info('store open', { path: app.store.path, glossaryEntries: app.glossary.entries.length });

  const sinks: AlertSink[] = [];
  let riskLatest: ReturnType<typeof createRiskLoop>['latest'] = () => undefined;
  const services = () => ({ ...app.services(), risk: { latest: () => riskLatest() } });
  const symbols = (prefix: string): string[] => {
    const wanted = prefix.toUpperCase();
    return [...new Set(app.store.markets().map((m) => m.base))].filter((b) => b.startsWith(wanted)).sort();
  };

  let chat: ChatRuntime | undefined;
  let consoleAdapter: ConsoleAdapter | undefined;
  if (config.DISCORD_TOKEN !== undefined || config.TELEGRAM_BOT_TOKEN !== undefined) {
    chat = await startChat({
      config,
      db: app.store.db,
      glossary: app.glossary,
      commands,
      services: services(),
      symbols,
      log,
    });
    const outbox = chat.outbox;
    sinks.push(
      chatAlertSink(chat.subscriptions, outbox, (alerts, now) => {
        const rows = enqueueAlerts(outbox, alerts, { now, maxDelayMs: ALERT_MAX_DELAY_MS });
        log.info('alerts queued', { alerts: alerts.length, rows });
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
  });
  riskLatest = riskLoop.latest;
  const riskJob = new SerialJob(
    'risk',
    async () => {
      riskLoop.runOnce();
      app.savedHealth.save(market.venueHealth(), Date.now());
    },
    (name) => log.warn('a run was still going: skipped', { job: name }),
  );
  const tasks = [
    cron.schedule(config.RISK_CRON, () => riskJob.trigger().then(() => undefined), { name: 'risk' }),
    cron.schedule(
      PRUNE_CRON,
      () => {
        const pruned = app.store.pruneExpired();
        log.info('pruned old rows', { ...pruned });
      },
      { name: 'prune' },
    ),
  ];
  await market.start();
  // The slow and depth jobs first run minutes after start; one warm-up cycle fills ratios, tiers and books now.
  void market
    .pollOnce({ include: ['slow', 'depth'] })
    .then(() => riskJob.trigger())
    .catch((error: unknown) => log.error('warm-up poll failed', { error }));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) process.exit(1); // a second signal exits at once
    stopping = true;
    log.info('stopping', { signal });
    for (const task of tasks) await task.stop();
    consoleAdapter?.close();
    await riskJob.idle();
    await chat?.stop();
    await app.close();
    log.info('stopped');
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});

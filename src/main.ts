// `npm start`: wires the parts together and runs until stopped. Nothing else lives here.
import { existsSync } from 'node:fs';
import { startConsoleAdapter } from './chat/console.js';
import { commands } from './commands/index.js';
import { ConfigError, describeConfig, loadConfig } from './config/env.js';
import { loadGlossary } from './glossary/load.js';
import { createLogger } from './log/logger.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.LOG_LEVEL, format: process.stderr.isTTY ? 'pretty' : 'json' });
  log.info('starting Spiralwatch', { settings: describeConfig(config) });

  const glossary = loadGlossary();
  log.info('glossary loaded', { entries: glossary.entries.length });

  const chatConfigured = config.DISCORD_TOKEN !== undefined || config.TELEGRAM_BOT_TOKEN !== undefined;
  if (!chatConfigured) log.info('no chat platform configured: commands are read from the console');
  const consoleAdapter = chatConfigured
    ? undefined
    : startConsoleAdapter({
        input: process.stdin,
        output: process.stdout,
        prompt: process.stdin.isTTY === true,
        context: () => ({
          services: { glossary },
          now: Date.now(),
          caller: { platform: 'console', canManageSubscriptions: true },
          commands,
        }),
        reportFailure: (error, command) => log.error('command failed', { command, error }),
      });

  // Keep running until a signal, even when the console's input ends (as it does under a service manager).
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal exits at once
    stopping = true;
    log.info('stopping', { signal });
    consoleAdapter?.close();
    clearInterval(keepAlive);
  };
  const keepAlive = setInterval(() => undefined, 60_000);
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

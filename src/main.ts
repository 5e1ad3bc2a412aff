// `npm start`: reads the configuration and runs the bot (src/bot.ts) until stopped. Nothing else lives here.
import { existsSync } from 'node:fs';
import { runBot } from './bot.js';
import { ConfigError, databasePassword, loadConfig, SECRET_KEYS } from './config/env.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  await runBot(loadConfig(process.env));
}

main().catch((error: unknown) => {
  let text = `${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
  // A library's error may quote a token (a request URL) or the database password: mask the configured ones here too.
  const secrets = [...SECRET_KEYS.map((key) => process.env[key]?.trim()), databasePassword(process.env.DATABASE_URL)];
  for (const value of secrets) {
    if (value !== undefined && value.length >= 8) text = text.split(value).join('[masked]');
  }
  process.stderr.write(text);
  // A start-up failure may leave servers or sockets open (the ops server, a chat adapter): exit rather than hang.
  process.exit(1);
});

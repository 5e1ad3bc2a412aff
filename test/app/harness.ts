// What the process tests of `npm start` share: a fake Telegram, the mock exchange on the calm scenario, a data
// directory, and main.ts spawned against them.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
import { startMockExchange, type MockExchange } from '../../src/mock-exchange/server.js';
import { FakeTelegram } from '../fakes/telegram.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Harness {
  telegram: FakeTelegram;
  mock: MockExchange;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startHarness(token: string): Promise<Harness> {
  const telegram = new FakeTelegram({ token, limits: false });
  await telegram.start();
  const scenario = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/calm.json'), 'utf8')), 'calm');
  const mock = await startMockExchange({ scenario });
  const dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-main-'));
  return {
    telegram,
    mock,
    dataDir,
    async stop() {
      await telegram.stop();
      await mock.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Bot {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Spawns main.ts with Telegram at the fake and Bybit at the mock; `env` adds or overrides variables. */
export function spawnMain(harness: Harness, token: string, env: Record<string, string> = {}): Bot {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: harness.telegram.apiRoot,
      EXCHANGES: 'bybit',
      EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(harness.mock.overrides()),
      MIN_OPEN_INTEREST_USD: '0',
      DATA_DIR: harness.dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

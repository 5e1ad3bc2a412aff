// `npm start` as a process: the real main wiring with Telegram pointed at the fake Bot API and the market at the
// mock exchange, answering commands, then stopping cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
import { startMockExchange, type MockExchange } from '../../src/mock-exchange/server.js';
import { FakeTelegram } from '../fakes/telegram.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = '7000000002:AAFakeTokenForMainTestsOnly_abcdefgh';
const CHAT = 4242;

let telegram: FakeTelegram;
let mock: MockExchange;
let dataDir: string;
let nextMessageId = 1;

beforeAll(async () => {
  telegram = new FakeTelegram({ token: TOKEN, limits: false });
  await telegram.start();
  const scenario = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/calm.json'), 'utf8')), 'calm');
  mock = await startMockExchange({ scenario });
  dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-main-'));
});

afterAll(async () => {
  await telegram?.stop();
  await mock?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function ask(text: string): void {
  const command = /^\/\S+/.exec(text)?.[0] ?? '';
  telegram.pushUpdate({
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: CHAT, type: 'private', first_name: 'T' },
      from: { id: CHAT, is_bot: false, first_name: 'T' },
      text,
      entities: [{ type: 'bot_command', offset: 0, length: command.length }],
    },
  });
}

/** Asks until the answer contains `expected` (market data arrives with the first poll, a few seconds in). */
async function reply(text: string, expected: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const before = telegram.messagesTo(CHAT).length;
    ask(text);
    await telegram.waitFor(() => telegram.messagesTo(CHAT).length > before, 10_000);
    const answer = telegram.messagesTo(CHAT).at(-1)?.text ?? '';
    if (answer.includes(expected) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('npm start', () => {
  it('answers Telegram commands with the real glossary and polled market data, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        EXCHANGES: 'bybit',
        EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(mock.overrides()),
        MIN_OPEN_INTEREST_USD: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      expect(await reply('/term ADL (Auto-Deleveraging)', 'Auto-deleveraging')).toContain('<b>Auto-deleveraging</b>');
      expect(await reply('/market BTC', 'BTC perpetuals')).toContain('bybit BTC/USDT:USDT');
      expect(await reply('/status', 'venue(s) healthy')).toContain('1 of 1 venue(s) healthy.');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(TOKEN);
  }, 90_000);
});

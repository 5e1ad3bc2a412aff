// The Postgres connection pool of an instance (DATABASE_URL). int8 columns (epoch ms, counts) are read as numbers:
// every one this project stores stays far below 2^53.
import pg from 'pg';

pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Names the connections in pg_stat_activity (the instance id). */
  applicationName?: string;
}

export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(options.applicationName !== undefined ? { application_name: options.applicationName } : {}),
  });
  // An idle connection that drops (a database restart) must not take the process down: the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

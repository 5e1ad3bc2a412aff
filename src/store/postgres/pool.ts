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
  // Nor one that drops while checked out between two statements (pg emits 'error' on the client then, and the pool
  // listens only while it is idle): the next statement fails instead, and the release takes the client out.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Runs `work` in one transaction on one connection of the pool (`begin` may set the isolation level): committed
 * when it resolves, rolled back when it throws (the error goes on to the caller).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

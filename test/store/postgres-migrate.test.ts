// The Postgres schema comes from numbered migrations, applied once even when instances start together.
import { describe, expect, it } from 'vitest';
import { migrate, POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrate.js';
import { usePostgres } from '../support/postgres.js';

describe('Postgres migrations', () => {
  const postgres = usePostgres();

  it('apply every migration once when three instances migrate one database at the same moment', async () => {
    // Not postgres.database(): the test is the first migration.
    const url = await postgres.server().freshDatabase();
    const pools = [postgres.pool(url), postgres.pool(url), postgres.pool(url)];
    const versions = await Promise.all(pools.map((pool) => migrate(pool, () => 1_000)));
    expect(versions).toEqual([POSTGRES_MIGRATIONS.length, POSTGRES_MIGRATIONS.length, POSTGRES_MIGRATIONS.length]);
    const recorded = await pools[0]!.query<{ version: number; applied_at: number }>(
      'SELECT version, applied_at FROM schema_migrations ORDER BY version',
    );
    expect(recorded.rows).toEqual(POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1, applied_at: 1_000 })));
    // A later start changes nothing.
    expect(await migrate(pools[1]!, () => 2_000)).toBe(POSTGRES_MIGRATIONS.length);
    const again = await pools[1]!.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(again.rows[0]).toEqual({ n: POSTGRES_MIGRATIONS.length });
  });
});

// The last known health of each venue on Postgres: the leader saves it after each pass, and `status` on any
// instance reads it. Reads come from memory (the port is synchronous); a follower refreshes it on a timer.
import type pg from 'pg';
import type { VenueHealth } from '../../domain/market.js';
import type { VenueHealthReader } from '../../domain/ports.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { venueHealthSchema } from '../venue-health.js';

export class PostgresVenueHealth implements VenueHealthReader {
  private latest: VenueHealth[] = [];
  /** The newest set not yet written: a later save replaces it (only the latest health matters). */
  private queued: { venues: readonly VenueHealth[]; at: number } | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Keeps the set at once and writes it behind; a write that fails is replaced by the next save. */
  save(venues: readonly VenueHealth[], now: number): void {
    this.latest = venues.map((venue) => venueHealthSchema.parse(venue));
    this.queued = { venues: this.latest, at: now };
    this.writing ??= this.write().finally(() => {
      this.writing = undefined;
    });
  }

  venueHealth(): VenueHealth[] {
    return [...this.latest];
  }

  /** Reads what the leader saved (a row that no longer parses is skipped, as SQLite's). */
  async refresh(): Promise<void> {
    const result = await this.pool.query<{ health: unknown }>('SELECT health FROM venue_health ORDER BY exchange');
    this.latest = result.rows.flatMap((row) => {
      const parsed = venueHealthSchema.safeParse(row.health);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** Resolves when the last save is written (or failed). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async write(): Promise<void> {
    while (this.queued !== undefined) {
      const { venues, at } = this.queued;
      this.queued = undefined;
      try {
        await this.pool.query(
          `INSERT INTO venue_health (exchange, health, updated_at)
           SELECT exchange, health, $2 FROM jsonb_to_recordset($1::jsonb) AS v(exchange text, health jsonb)
           ON CONFLICT (exchange) DO UPDATE SET health = excluded.health, updated_at = excluded.updated_at`,
          [JSON.stringify(venues.map((venue) => ({ exchange: venue.exchange, health: venue }))), at],
        );
      } catch (error) {
        // The next pass saves a newer set; status on the other instances is one pass staler meanwhile.
        this.log.warn('venue health not written', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

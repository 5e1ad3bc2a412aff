// The last known health of each venue. The running bot writes it after each pass; `status` on the command line
// reads it, so both show the same thing.
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { exchangeIdSchema, type VenueHealth } from '../domain/market.js';
import type { VenueHealthReader } from '../domain/ports.js';

export const venueHealthSchema = z.object({
  exchange: exchangeIdSchema,
  state: z.enum(['ok', 'degraded', 'disabled', 'not polled']),
  marketsWatched: z.number().int().nonnegative(),
  lastSuccessAt: z.number().nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  liquidationStream: z.enum(['streaming', 'reconnecting', 'stopped', 'not streamed']),
  liquidationCoverage: z.enum(['all', 'sampled', 'not streamed']),
  lastLiquidationAt: z.number().nullable(),
});

export class SqliteVenueHealth implements VenueHealthReader {
  constructor(private readonly db: Database.Database) {}

  save(venues: readonly VenueHealth[], now: number): void {
    const upsert = this.db.prepare(
      `INSERT INTO venue_health (exchange, health_json, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (exchange) DO UPDATE SET health_json = excluded.health_json, updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const venue of venues) upsert.run(venue.exchange, JSON.stringify(venueHealthSchema.parse(venue)), now);
    })();
  }

  venueHealth(): VenueHealth[] {
    const rows = this.db.prepare('SELECT health_json FROM venue_health ORDER BY exchange').pluck().all() as string[];
    // A row written by another version that no longer parses is skipped rather than failing `status`.
    return rows.flatMap((json) => {
      const parsed = venueHealthSchema.safeParse(JSON.parse(json));
      return parsed.success ? [parsed.data] : [];
    });
  }
}

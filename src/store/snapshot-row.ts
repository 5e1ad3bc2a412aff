// One layout for a snapshot as a row of numbers, shared by the in-memory window (a ColumnRing column per field)
// and the SQL statements (a table column per field). NaN stands for null in the row; SQL gets NULL.
import { DEPTH_BANDS_PERCENT } from '../domain/market.js';
import type { DepthBand, ExchangeId, Snapshot } from '../domain/market.js';

/** The scalar fields of a Snapshot after `at`, with their column in the `snapshots` table, in row order. */
export const SNAPSHOT_SCALARS = [
  ['markPrice', 'mark_price'],
  ['indexPrice', 'index_price'],
  ['lastPrice', 'last_price'],
  ['fundingRate', 'funding_rate'],
  ['fundingIntervalHours', 'funding_interval_hours'],
  ['nextFundingAt', 'next_funding_at'],
  ['fundingRateAnnualized', 'funding_rate_annualized'],
  ['openInterestContracts', 'open_interest_contracts'],
  ['openInterestUsd', 'open_interest_usd'],
  ['volume24hUsd', 'volume_24h_usd'],
  ['longShortAccountRatio', 'long_short_account_ratio'],
] as const satisfies readonly (readonly [keyof Snapshot, string])[];

/** `0.5` -> `0_5`, as the band appears in column names. */
function bandName(percent: number): string {
  return String(percent).replace('.', '_');
}

/** Depth columns, bid then ask per band of DEPTH_BANDS_PERCENT. */
export const DEPTH_COLUMNS: readonly string[] = DEPTH_BANDS_PERCENT.flatMap((percent) => [
  `depth_bid_${bandName(percent)}_usd`,
  `depth_ask_${bandName(percent)}_usd`,
]);

/** Row layout: 0 = at, then the scalars, then the depth columns. */
export const AT_COLUMN = 0;
const FIRST_SCALAR = 1;
const FIRST_DEPTH = FIRST_SCALAR + SNAPSHOT_SCALARS.length;
export const SNAPSHOT_ROW_LENGTH = FIRST_DEPTH + DEPTH_COLUMNS.length;

/** The `snapshots` table's value columns in row order (after `at` and `market_id`). */
export const SNAPSHOT_VALUE_COLUMNS: readonly string[] = [
  ...SNAPSHOT_SCALARS.map(([, column]) => column),
  ...DEPTH_COLUMNS,
];

/** Index of a band in DEPTH_BANDS_PERCENT, or -1. */
export function depthBandIndex(withinPercent: number): number {
  return (DEPTH_BANDS_PERCENT as readonly number[]).indexOf(withinPercent);
}

/** Writes a (valid) snapshot into `row`; bands not given stay NaN. */
export function snapshotToRow(snapshot: Snapshot, row: Float64Array): void {
  row.fill(Number.NaN);
  row[AT_COLUMN] = snapshot.at;
  for (let i = 0; i < SNAPSHOT_SCALARS.length; i++) {
    const key = (SNAPSHOT_SCALARS[i] as (typeof SNAPSHOT_SCALARS)[number])[0];
    const value = snapshot[key];
    row[FIRST_SCALAR + i] = value ?? Number.NaN;
  }
  for (const band of snapshot.depthBands ?? []) {
    const index = depthBandIndex(band.withinPercent);
    if (index < 0) continue; // rejected earlier by validation
    row[FIRST_DEPTH + 2 * index] = band.bidUsd;
    row[FIRST_DEPTH + 2 * index + 1] = band.askUsd;
  }
}

/** A row value as a Snapshot field: NaN is null. */
function nullable(value: number | undefined): number | null {
  return value === undefined || Number.isNaN(value) ? null : value;
}

/**
 * Reads a row (as `ColumnRing.readRow` fills it) back into a Snapshot; a band is present when its bid and ask
 * are; no band at all is `null`. Field order is that of the schema.
 */
export function rowToSnapshot(exchange: ExchangeId, symbol: string, base: string, row: ArrayLike<number>): Snapshot {
  let bands: DepthBand[] | null = null;
  for (let i = 0; i < DEPTH_BANDS_PERCENT.length; i++) {
    const bidUsd = nullable(row[FIRST_DEPTH + 2 * i]);
    const askUsd = nullable(row[FIRST_DEPTH + 2 * i + 1]);
    if (bidUsd !== null && askUsd !== null) {
      (bands ??= []).push({ withinPercent: DEPTH_BANDS_PERCENT[i] as number, bidUsd, askUsd });
    }
  }
  // The scalars by their row position (SNAPSHOT_SCALARS order; checked by the satisfies below).
  return {
    exchange,
    symbol,
    base,
    at: row[AT_COLUMN] ?? Number.NaN,
    markPrice: nullable(row[FIRST_SCALAR + 0]),
    indexPrice: nullable(row[FIRST_SCALAR + 1]),
    lastPrice: nullable(row[FIRST_SCALAR + 2]),
    fundingRate: nullable(row[FIRST_SCALAR + 3]),
    fundingIntervalHours: nullable(row[FIRST_SCALAR + 4]),
    nextFundingAt: nullable(row[FIRST_SCALAR + 5]),
    fundingRateAnnualized: nullable(row[FIRST_SCALAR + 6]),
    openInterestContracts: nullable(row[FIRST_SCALAR + 7]),
    openInterestUsd: nullable(row[FIRST_SCALAR + 8]),
    volume24hUsd: nullable(row[FIRST_SCALAR + 9]),
    depthBands: bands,
    longShortAccountRatio: nullable(row[FIRST_SCALAR + 10]),
  };
}

/** The Snapshot keys of a SNAPSHOT_SCALARS-like tuple, position by position. */
type KeysOf<T extends readonly (readonly [unknown, unknown])[]> = { [I in keyof T]: T[I][0] };

/** The row positions rowToSnapshot reads the scalars from, kept in step with SNAPSHOT_SCALARS at compile time. */
const SCALAR_ORDER = [
  'markPrice',
  'indexPrice',
  'lastPrice',
  'fundingRate',
  'fundingIntervalHours',
  'nextFundingAt',
  'fundingRateAnnualized',
  'openInterestContracts',
  'openInterestUsd',
  'volume24hUsd',
  'longShortAccountRatio',
] as const satisfies KeysOf<typeof SNAPSHOT_SCALARS>;
void SCALAR_ORDER;

/** Freezes a snapshot built by rowToSnapshot, with its bands, so it can be shared between readers. */
export function freezeSnapshot(snapshot: Snapshot): Readonly<Snapshot> {
  const bands = snapshot.depthBands;
  if (bands !== null && bands !== undefined) {
    for (const band of bands) Object.freeze(band);
    Object.freeze(bands);
  }
  return Object.freeze(snapshot);
}

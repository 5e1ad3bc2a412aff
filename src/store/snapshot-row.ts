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

type ScalarKey = (typeof SNAPSHOT_SCALARS)[number][0];

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

/** Reads a row back into a Snapshot; a band is present when its bid and ask are; no band at all is `null`. */
export function rowToSnapshot(
  exchange: ExchangeId,
  symbol: string,
  base: string,
  read: (column: number) => number,
): Snapshot {
  const nullable = (column: number): number | null => {
    const value = read(column);
    return Number.isNaN(value) ? null : value;
  };
  const scalars = {} as Record<ScalarKey, number | null>;
  for (let i = 0; i < SNAPSHOT_SCALARS.length; i++) {
    const key = (SNAPSHOT_SCALARS[i] as (typeof SNAPSHOT_SCALARS)[number])[0];
    scalars[key] = nullable(FIRST_SCALAR + i);
  }
  const bands: DepthBand[] = [];
  for (let i = 0; i < DEPTH_BANDS_PERCENT.length; i++) {
    const bidUsd = nullable(FIRST_DEPTH + 2 * i);
    const askUsd = nullable(FIRST_DEPTH + 2 * i + 1);
    if (bidUsd !== null && askUsd !== null) {
      bands.push({ withinPercent: DEPTH_BANDS_PERCENT[i] as number, bidUsd, askUsd });
    }
  }
  return {
    exchange,
    symbol,
    base,
    at: read(AT_COLUMN),
    markPrice: scalars.markPrice,
    indexPrice: scalars.indexPrice,
    lastPrice: scalars.lastPrice,
    fundingRate: scalars.fundingRate,
    fundingIntervalHours: scalars.fundingIntervalHours,
    nextFundingAt: scalars.nextFundingAt,
    fundingRateAnnualized: scalars.fundingRateAnnualized,
    openInterestContracts: scalars.openInterestContracts,
    openInterestUsd: scalars.openInterestUsd,
    volume24hUsd: scalars.volume24hUsd,
    depthBands: bands.length === 0 ? null : bands,
    longShortAccountRatio: scalars.longShortAccountRatio,
  };
}

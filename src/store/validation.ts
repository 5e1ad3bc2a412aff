// Validation at the store boundary. Every row is checked with the domain's zod schema (plus the few rules the
// table layout adds) before it reaches SQL. A bad row is skipped and reported; the rest of its batch is saved:
// one malformed ticker from one venue must not cost the poll of 2,000 markets. The report is a
// StoreRejectionError handed to the store's `onRejected` hook (and returned by saveSnapshots), never thrown, so a
// caller that only knows the MarketStore port still gets its batch saved.
import { DEPTH_BANDS_PERCENT, liquidationSchema, marketInfoSchema, snapshotSchema } from '../domain/market.js';
import type { Liquidation, MarketInfo, Snapshot } from '../domain/market.js';
import { depthBandIndex } from './snapshot-row.js';
import type { z } from 'zod';

export type RowKind = 'snapshot' | 'liquidation' | 'market';

export interface RejectedRow {
  kind: RowKind;
  /** Position of the row in the batch passed to the store. */
  index: number;
  /** `exchange:symbol at <ISO time>` as far as the row tells. */
  key: string;
  /** One line per problem: `field.path: message`. */
  problems: readonly string[];
}

/** What a store refused in one batch. The rest of the batch was saved. */
export class StoreRejectionError extends Error {
  readonly kind: RowKind;
  readonly rejected: readonly RejectedRow[];
  /** Rows of the batch that were saved. */
  readonly saved: number;

  constructor(kind: RowKind, rejected: readonly RejectedRow[], saved: number) {
    const lines = rejected.map((row) => `  - #${row.index} ${row.key}: ${row.problems.join('; ')}`);
    super(
      `Store rejected ${rejected.length} ${kind}(s) of a batch of ${rejected.length + saved}; the other ${saved} were accepted:\n${lines.join('\n')}`,
    );
    this.name = 'StoreRejectionError';
    this.kind = kind;
    this.rejected = rejected;
    this.saved = saved;
  }
}

export type Checked<T> = { ok: true; value: T } | { ok: false; rejected: RejectedRow };

/** Splits a batch into the rows `check` accepts (with their index in the batch) and the reports of the others. */
export function partition<T>(
  rows: readonly T[],
  check: (row: unknown, index: number) => Checked<T>,
): { valid: { index: number; value: T }[]; rejected: RejectedRow[] } {
  const valid: { index: number; value: T }[] = [];
  const rejected: RejectedRow[] = [];
  rows.forEach((row, index) => {
    const checked = check(row, index);
    if (checked.ok) valid.push({ index, value: checked.value });
    else rejected.push(checked.rejected);
  });
  return { valid, rejected };
}

/** Describes a row that may be anything, for a report. */
export function describeRow(row: unknown): string {
  if (row === null || typeof row !== 'object') return `(not an object: ${typeof row})`;
  const record = row as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' && value.length > 0 ? value : '?');
  const at = record['at'];
  const time =
    typeof at === 'number' && Number.isFinite(at) && Math.abs(at) < 8.64e15 ? new Date(at).toISOString() : String(at);
  return `${text(record['exchange'])}:${text(record['symbol'])} at ${time}`;
}

function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? '(row)' : path}: ${issue.message}`;
  });
}

function reject(kind: RowKind, index: number, row: unknown, problems: readonly string[]): Checked<never> {
  return { ok: false, rejected: { kind, index, key: describeRow(row), problems } };
}

/** A snapshot as the schema and the table allow it: bands only at DEPTH_BANDS_PERCENT, each at most once. */
export function checkSnapshot(row: unknown, index: number): Checked<Snapshot> {
  const parsed = snapshotSchema.safeParse(row);
  if (!parsed.success) return reject('snapshot', index, row, issueLines(parsed.error.issues));
  const problems: string[] = [];
  const seen = new Set<number>();
  (parsed.data.depthBands ?? []).forEach((band, bandIndex) => {
    if (depthBandIndex(band.withinPercent) < 0) {
      problems.push(
        `depthBands.${bandIndex}.withinPercent: ${band.withinPercent} is not one of the stored bands (${DEPTH_BANDS_PERCENT.join(', ')})`,
      );
    } else if (seen.has(band.withinPercent)) {
      problems.push(`depthBands.${bandIndex}.withinPercent: band ${band.withinPercent}% appears twice`);
    }
    seen.add(band.withinPercent);
  });
  if (problems.length > 0) return reject('snapshot', index, row, problems);
  return { ok: true, value: parsed.data };
}

export function checkLiquidation(row: unknown, index: number): Checked<Liquidation> {
  const parsed = liquidationSchema.safeParse(row);
  if (!parsed.success) return reject('liquidation', index, row, issueLines(parsed.error.issues));
  return { ok: true, value: parsed.data };
}

export function checkMarket(row: unknown, index: number): Checked<MarketInfo> {
  const parsed = marketInfoSchema.safeParse(row);
  if (!parsed.success) return reject('market', index, row, issueLines(parsed.error.issues));
  return { ok: true, value: parsed.data };
}

/** A report for a row that passed the schema but conflicts with what the store holds. */
export function conflict(kind: RowKind, index: number, row: unknown, problem: string): RejectedRow {
  return { kind, index, key: describeRow(row), problems: [problem] };
}

// The store's public face: open a store, and the types that come with it.
export { openStore, DATABASE_FILE } from './sqlite-store.js';
export type {
  MaintenanceResult,
  PruneResult,
  SaveReport,
  SqliteMarketStore,
  StoreOptions,
  WindowStats,
} from './sqlite-store.js';
export { COMPACT_BUCKET_MS } from './compaction.js';
export type { CompactResult } from './compaction.js';
export { StoreRejectionError } from './validation.js';
export type { RejectedRow, RowKind } from './validation.js';
export { COARSE_SLOT_MS, FINE_SPAN_MS, WINDOW_SPAN_MS } from './window.js';
export { MIGRATIONS } from './migrations.js';

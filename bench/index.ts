import type { Bench } from './types.js';

/**
 * Every benchmark, in the order `npm run bench` runs them. Each is imported only when it runs, so one benchmark's
 * modules (ccxt, discord.js...) do not weigh on another's memory figures.
 */
export const benches: readonly { name: string; load: () => Promise<Bench> }[] = [
  { name: 'glossary', load: async () => (await import('./glossary.js')).glossary },
  { name: 'store', load: async () => (await import('./store.js')).storeBench },
  { name: 'market', load: async () => (await import('./market.js')).market },
  { name: 'risk', load: async () => (await import('./risk.js')).risk },
  { name: 'fanout', load: async () => (await import('./fanout.js')).fanout },
  { name: 'fanout-faults', load: async () => (await import('./fanout.js')).fanoutFaults },
  { name: 'charts', load: async () => (await import('./charts.js')).charts },
  { name: 'replay', load: async () => (await import('./replay.js')).replay },
  { name: 'store-postgres', load: async () => (await import('./store-postgres.js')).storePostgres },
  { name: 'outbox-postgres', load: async () => (await import('./outbox-postgres.js')).outboxPostgres },
];

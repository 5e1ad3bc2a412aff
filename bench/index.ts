import type { Bench } from './types.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const benches: readonly Bench[] = [];

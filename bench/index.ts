import { fanout } from './fanout.js';
import { glossary } from './glossary.js';
import { market } from './market.js';
import { risk } from './risk.js';
import type { Bench } from './types.js';
import { storeBench } from './store.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const benches: readonly Bench[] = [glossary, storeBench, fanout, risk, market];

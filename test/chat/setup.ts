// Wiring shared by the end-to-end chat tests: the real adapters against the fakes, a store in memory.
import type { Caller, CommandContext, CommandDefinition } from '../../src/commands/command.js';
import { commands } from '../../src/commands/index.js';
import { Delivery, type DeliveryOptions } from '../../src/chat/delivery.js';
import { subscriptionChatEvents } from '../../src/chat/outbox-worker.js';
import { SqliteOutbox } from '../../src/store/outbox.js';
import { SqliteSubscriptionStore } from '../../src/store/subscriptions.js';
import { fakeGlossary, glossaryEntry } from '../commands/fakeGlossary.js';
import { chatDatabase } from './helpers.js';
import type { VenueHealth } from '../../src/domain/market.js';
import { marketReader, NOW } from '../marketReader.js';

export const glossary = fakeGlossary([
  glossaryEntry({
    id: 'funding-rate',
    title: 'Funding rate',
    topic: 'derivatives',
    short: 'What longs pay shorts <every> 8 h & why.',
    related: ['open-interest'],
  }),
  glossaryEntry({ id: 'open-interest', title: 'Open interest', topic: 'derivatives' }),
  glossaryEntry({ id: 'liquidation-cascade', title: 'Liquidation cascade', topic: 'liquidation' }),
]);

/** Venue health the market commands read in chat tests. */
const health: VenueHealth[] = [
  {
    exchange: 'binanceusdm',
    state: 'ok',
    marketsWatched: 2,
    lastSuccessAt: NOW - 20_000,
    consecutiveFailures: 0,
    lastError: null,
    liquidationStream: 'streaming',
    liquidationCoverage: 'sampled',
    lastLiquidationAt: NOW - 60_000,
  },
];

/**
 * The adapters, delivery and store of a chat test. Commands see the synthetic market of test/marketReader.ts, at its
 * time, so /risk, /cascade, /market and /status answer with figures.
 */
export function chatWorld(options: DeliveryOptions = {}, extraCommands: readonly CommandDefinition[] = []) {
  const all = [...commands, ...extraCommands];
  const db = chatDatabase();
  const subscriptions = new SqliteSubscriptionStore(db);
  const outbox = new SqliteOutbox(db);
  const delivery = new Delivery({ events: subscriptionChatEvents(subscriptions, outbox), ...options });
  const failures: unknown[] = [];
  const context = (caller: Caller): CommandContext => ({
    services: { glossary, subscriptions, market: marketReader, health: { venueHealth: () => health } },
    now: NOW,
    caller,
    commands: all,
  });
  return {
    db,
    subscriptions,
    outbox,
    delivery,
    failures,
    context,
    reportFailure: (error: unknown) => void failures.push(error),
    commands: all,
  };
}

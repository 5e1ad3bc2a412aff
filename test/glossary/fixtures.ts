// Builders for glossary tests: entries in memory and glossary files as text, valid unless a test says otherwise.
import { stringify } from 'yaml';
import type { GlossaryEntry } from '../../src/glossary/types.js';

/** A valid entry; `id` and `title` name it, everything else may be overridden. */
export function anEntry(fields: Partial<GlossaryEntry> & Pick<GlossaryEntry, 'id' | 'title'>): GlossaryEntry {
  return {
    aliases: [],
    related: [],
    topic: 'spiral',
    tags: [],
    short: `${fields.title}, defined in one sentence.`,
    explanation: `${fields.title} explained.`,
    formula: null,
    example: `${fields.title} with numbers.`,
    sources: [],
    live: null,
    ...fields,
  };
}

/** The front matter of a valid file titled `title`, with `fields` added, replaced or (as `undefined`) removed. */
export function frontMatter(title: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const front: Record<string, unknown> = {
    title,
    aliases: [],
    related: [],
    topic: 'spiral',
    tags: ['feedback-loop'],
    short: `${title}, defined in one sentence.`,
    sources: [{ title: 'Exchange documentation', url: 'https://example.com/docs' }],
    ...fields,
  };
  for (const [key, value] of Object.entries(front)) if (value === undefined) delete front[key];
  return front;
}

const DEFAULT_BODY = 'The explanation, in a paragraph.\n\n## Example\nA 10x long loses 10% and is liquidated.\n';

/** A glossary file: front matter between `---` lines, then the Markdown body. */
export function glossaryFile(front: Record<string, unknown>, body: string = DEFAULT_BODY): string {
  return `---\n${stringify(front)}---\n${body}`;
}

/**
 * A small glossary shaped like the real one, whose search behaviour the tests pin down without depending on
 * the wording of the real entries.
 */
export const SEARCH_FIXTURE: readonly GlossaryEntry[] = [
  anEntry({
    id: 'liquidation-cascade',
    title: 'Liquidation cascade',
    aliases: ['Liquidation Cascades', 'Deleveraging Cascade'],
    short: 'A chain of forced liquidations, each pushing the price far enough to trigger the next.',
    explanation: 'Forced selling from one liquidation moves the price into the next cluster of liquidation prices.',
  }),
  anEntry({
    id: 'auto-deleveraging',
    title: 'Auto-deleveraging',
    aliases: ['ADL (Auto-Deleveraging)', 'Auto-Deleveraging Mechanism'],
    topic: 'liquidation',
    short: 'When the insurance fund cannot cover a bankrupt position, the exchange closes profitable opposite positions.',
    explanation:
      'The last resort of the liquidation engine: winners on the other side are closed at the bankruptcy price.',
  }),
  anEntry({
    id: 'adl-ranking',
    title: 'ADL ranking',
    aliases: ['ADL indicator'],
    topic: 'liquidation',
    short: 'The queue deciding whose profitable positions auto-deleveraging closes first.',
    explanation: 'Positions are ranked by profit and leverage and shown as a row of lights.',
  }),
  anEntry({
    id: 'insurance-fund',
    title: 'Insurance fund',
    topic: 'liquidation',
    short: 'A reserve the exchange keeps to absorb losses when liquidated positions close beyond bankruptcy.',
    explanation: 'It grows from liquidation penalties and pays for bad debt until it runs out.',
  }),
  anEntry({
    id: 'socialized-loss',
    title: 'Socialized loss',
    aliases: ['Clawback', 'Loss socialization'],
    topic: 'liquidation',
    short: 'Bad debt spread over every profitable trader when the insurance fund is exhausted.',
    explanation: 'Winners pay for the losers: their profits are cut pro rata to cover the deficit.',
  }),
  anEntry({
    id: 'funding-rate',
    title: 'Funding rate',
    aliases: ['Funding'],
    topic: 'derivatives',
    short: 'A periodic payment between longs and shorts that ties a perpetual swap to its index.',
    explanation: 'When funding is positive, longs pay shorts; very positive funding shows crowded longs.',
    live: 'fundingRate',
  }),
  anEntry({
    id: 'open-interest',
    title: 'Open interest',
    aliases: ['OI'],
    topic: 'derivatives',
    short: 'The total size of open positions in a contract.',
    explanation: 'Rising open interest with rising price means new leverage is entering.',
    live: 'openInterest',
  }),
  anEntry({
    id: 'order-book-depth',
    title: 'Order-book depth',
    aliases: ['Market depth'],
    topic: 'market-structure',
    short: 'How much can be bought or sold near the mid price before the price moves.',
    explanation: 'Resting bids and asks within a distance of the mid price, in USD.',
  }),
  anEntry({
    id: 'basis',
    title: 'Basis',
    aliases: ['Basis and premium', 'Premium'],
    topic: 'derivatives',
    short: 'The gap between a derivative price and the spot index.',
    explanation: 'A positive basis means the contract trades above spot.',
  }),
  anEntry({
    id: 'perpetual-swap',
    title: 'Perpetual swap (perpetual future)',
    aliases: ['Perp'],
    topic: 'derivatives',
    short: 'A futures contract with no expiry, kept near spot by funding.',
    explanation: 'Perpetuals are the main venue of leveraged crypto trading.',
  }),
  anEntry({
    id: 'herd-behavior',
    title: 'Herd behavior',
    topic: 'risk-management',
    short: 'Traders copying one another into the same positions.',
    explanation: 'Crowded positioning makes every exit the same exit.',
  }),
  anEntry({
    id: 'long-squeeze',
    title: 'Long squeeze',
    topic: 'spiral',
    short: 'A fall that forces leveraged longs to sell, which pushes the price lower still.',
    explanation: 'Crowded longs with positive funding are its raw material.',
  }),
];

// What an alert says. First one line a trader can act on (market, level, regime, score), then the top
// reasons, the cascade estimate and glossary pointers. Alerts are Replies, so the chat renderers serve them.
import { reply, type Reply, type ReplyLink } from '../commands/reply.js';
import { MARKET_WIDE, type MarketReading, type MarketRegime } from './types.js';

const MAX_REASONS = 3;

/** Glossary entries that explain each regime. */
const REGIME_TERMS: Record<MarketRegime, readonly { id: string; label: string }[]> = {
  loaded: [
    { id: 'open-interest', label: 'Open interest' },
    { id: 'leverage', label: 'Leverage' },
  ],
  unwinding: [
    { id: 'liquidation-cascade', label: 'Liquidation cascade' },
    { id: 'deleveraging-spiral', label: 'Deleveraging spiral' },
  ],
  quiet: [{ id: 'deleveraging', label: 'Deleveraging' }],
};

/** `binanceusdm:BTC/USDT:USDT` → `BTC/USDT:USDT on binanceusdm`. */
export function marketName(market: string): string {
  if (market === MARKET_WIDE) return 'The whole market';
  const colon = market.indexOf(':');
  return colon < 0 ? market : `${market.slice(colon + 1)} on ${market.slice(0, colon)}`;
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

/** The one line: "BTC/USDT:USDT on binanceusdm: CRITICAL (was warning), regime unwinding, score 82". */
export function headline(reading: MarketReading): string {
  return `${marketName(reading.market)}: ${reading.level.toUpperCase()} (was ${reading.previousLevel}), regime ${reading.regime}, score ${formatScore(reading.score)}`;
}

function pointers(readings: readonly MarketReading[]): ReplyLink[] {
  const seen = new Set<string>();
  const links: ReplyLink[] = [];
  for (const reading of readings) {
    const terms = [
      ...REGIME_TERMS[reading.regime],
      ...(reading.cascade ? [{ id: 'liquidation-cascade', label: 'Liquidation cascade' }] : []),
    ];
    for (const term of terms) {
      if (seen.has(term.id)) continue;
      seen.add(term.id);
      links.push({ label: term.label, command: `term ${term.id}` });
    }
  }
  return links;
}

function details(reading: MarketReading): string[] {
  const lines: string[] = [];
  const reasons = reading.reasons.slice(0, MAX_REASONS);
  if (reasons.length > 0) lines.push('', 'Why:', ...reasons.map((r) => `• ${r}`));
  if (reading.cascade) lines.push('', `Cascade estimate: ${reading.cascade}`);
  return lines;
}

function readingData(reading: MarketReading) {
  return { ...reading, reasons: [...reading.reasons] };
}

export function renderAlert(reading: MarketReading, kind: 'rise' | 'escalation'): Reply {
  const verb = kind === 'escalation' ? 'escalated' : 'rising';
  return reply(
    `${marketName(reading.market)}: ${reading.level} (${verb})`,
    [headline(reading), ...details(reading)].join('\n'),
    {
      level: reading.level,
      links: pointers([reading]),
      more: `term ${REGIME_TERMS[reading.regime][0]?.id ?? 'deleveraging-spiral'}`,
      data: { alert: kind, reading: readingData(reading) },
    },
  );
}

export function renderAllClear(reading: MarketReading): Reply {
  return reply(
    `${marketName(reading.market)}: all clear`,
    `${marketName(reading.market)} fell back from CRITICAL to ${reading.level}, regime ${reading.regime}, score ${formatScore(reading.score)}.${reading.reasons[0] ? `\n\n${reading.reasons[0]}` : ''}`,
    { level: reading.level, data: { alert: 'allClear', reading: readingData(reading) } },
  );
}

/** Many markets at once: one line each, the strongest first, and the top reasons of the strongest. */
export function renderDigest(readings: readonly MarketReading[]): Reply {
  const [top] = readings;
  const lines = [`${readings.length} markets turned up at once.`, '', ...readings.map((r) => `• ${headline(r)}`)];
  if (top) lines.push(...details(top).map((l) => (l === 'Why:' ? `Why (${marketName(top.market)}):` : l)));
  return reply(`Market-wide: ${readings.length} markets rising`, lines.join('\n'), {
    level: top?.level ?? 'elevated',
    links: pointers(readings),
    more: 'term deleveraging-spiral',
    data: { alert: 'digest', readings: readings.map(readingData) },
  });
}

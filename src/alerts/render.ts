// What an alert says, short enough for a phone. First one line a trader can act on: the coin, each level with the
// venues at it and their scores, the regime of the strongest market. Then that market's reasons (each said
// once), its cascade estimate and glossary pointers. Alerts are Replies, so the chat renderers serve them.
import { reply, type Reply, type ReplyLink } from '../commands/reply.js';
import { MARKET_WIDE, type AlertCoin, type AlertLevel, type MarketReading, type MarketRegime } from './types.js';

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

/** Venue names as traders say them. */
const VENUE_NAMES: Readonly<Record<string, string>> = {
  binanceusdm: 'Binance',
  bybit: 'Bybit',
  okx: 'OKX',
  hyperliquid: 'Hyperliquid',
};

/** `binanceusdm:BTC/USDT:USDT` → `Binance`. */
export function venueName(market: string): string {
  if (market === MARKET_WIDE) return 'all venues';
  const colon = market.indexOf(':');
  const venue = colon < 0 ? market : market.slice(0, colon);
  return VENUE_NAMES[venue] ?? venue;
}

/** `binanceusdm:BTC/USDT:USDT` → `BTC/USDT:USDT on binanceusdm`. */
export function marketName(market: string): string {
  if (market === MARKET_WIDE) return 'The whole market';
  const colon = market.indexOf(':');
  return colon < 0 ? market : `${market.slice(colon + 1)} on ${market.slice(0, colon)}`;
}

/** `BTC`, or "The whole market". */
export function coinName(coin: AlertCoin): string {
  return coin === MARKET_WIDE ? 'The whole market' : coin;
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

/** Each market's venue name, with its symbol where the same venue lists the coin twice (USDT and USDC). */
function venueLabels(readings: readonly MarketReading[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const r of readings) count.set(venueName(r.market), (count.get(venueName(r.market)) ?? 0) + 1);
  return new Map(
    readings.map((r) => {
      const venue = venueName(r.market);
      const symbol = r.market.slice(r.market.indexOf(':') + 1);
      return [r.market, (count.get(venue) ?? 0) > 1 ? `${venue} ${symbol}` : venue];
    }),
  );
}

/**
 * The levels of a coin's markets, strongest first, e.g. "CRITICAL on Hyperliquid (score 88, unwinding);
 * WARNING on Binance (74), Bybit (70)". Only the strongest market says its regime: its reasons follow.
 */
export function levelsLine(readings: readonly MarketReading[]): string {
  const [strongest] = readings;
  if (!strongest) return '';
  const lead = `score ${formatScore(strongest.score)}, ${strongest.regime}`;
  if (strongest.market === MARKET_WIDE) return `${strongest.level.toUpperCase()} (${lead})`;
  const labels = venueLabels(readings);
  const byLevel = new Map<AlertLevel, string[]>();
  for (const r of readings) {
    const score = r === strongest ? lead : formatScore(r.score);
    byLevel.set(r.level, [...(byLevel.get(r.level) ?? []), `${labels.get(r.market) ?? r.market} (${score})`]);
  }
  return [...byLevel].map(([level, venues]) => `${level.toUpperCase()} on ${venues.join(', ')}`).join('; ');
}

/** The one line: "BTC: CRITICAL on Hyperliquid (score 88, unwinding); WARNING on Binance (74), Bybit (70)". */
export function headline(coin: AlertCoin, readings: readonly MarketReading[]): string {
  return `${coinName(coin)}: ${levelsLine(readings)}`;
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

/** The reasons and cascade estimate of one market; `source` names it when the alert names others too. */
function details(reading: MarketReading, source: string | null): string[] {
  const lines: string[] = [];
  const where = source === null ? '' : ` (${source})`;
  const reasons = [...new Set(reading.reasons)].slice(0, MAX_REASONS);
  if (reasons.length > 0) lines.push('', `Why${where}:`, ...reasons.map((r) => `• ${r}`));
  if (reading.cascade) lines.push('', `Cascade estimate${where}: ${reading.cascade}`);
  return lines;
}

function readingData(reading: MarketReading) {
  return { ...reading, reasons: [...reading.reasons] };
}

/** One coin's alert: `readings` are the markets it names, strongest first. */
export function renderCoinAlert(
  coin: AlertCoin,
  readings: readonly MarketReading[],
  kind: 'rise' | 'escalation',
): Reply {
  const [strongest] = readings;
  const level = strongest?.level ?? 'calm';
  const verb = kind === 'escalation' ? 'escalated' : 'rising';
  const source = strongest && readings.length > 1 ? (venueLabels(readings).get(strongest.market) ?? null) : null;
  return reply(
    `${coinName(coin)}: ${level} (${verb})`,
    [headline(coin, readings), ...(strongest ? details(strongest, source) : [])].join('\n'),
    {
      level,
      links: pointers(readings.slice(0, 1)),
      more: `term ${REGIME_TERMS[strongest?.regime ?? 'unwinding'][0]?.id ?? 'deleveraging-spiral'}`,
      data: { alert: kind, coin, readings: readings.map(readingData) },
    },
  );
}

/** A coin alerted critical whose markets (`readings`, strongest first) are all below warning again. */
export function renderAllClear(coin: AlertCoin, readings: readonly MarketReading[]): Reply {
  const level = readings[0]?.level ?? 'calm';
  return reply(`${coinName(coin)}: all clear`, `${coinName(coin)} fell back from CRITICAL: ${levelsLine(readings)}.`, {
    level,
    data: { alert: 'allClear', coin, readings: readings.map(readingData) },
  });
}

/** Many coins at once: one line each, the strongest first, and the reasons of the strongest market. */
export function renderDigest(coins: readonly { coin: AlertCoin; readings: readonly MarketReading[] }[]): Reply {
  const [top] = coins;
  const strongest = top?.readings[0];
  const lines = [
    `${coins.length} coins turned up at once.`,
    '',
    ...coins.map((c) => `• ${headline(c.coin, c.readings)}`),
  ];
  if (top && strongest) {
    const source = `${coinName(top.coin)} on ${venueLabels(top.readings).get(strongest.market) ?? strongest.market}`;
    lines.push(...details(strongest, source));
  }
  return reply(`Market-wide: ${coins.length} coins rising`, lines.join('\n'), {
    level: strongest?.level ?? 'elevated',
    links: pointers(coins.map((c) => c.readings[0]).filter((r): r is MarketReading => r !== undefined)),
    more: 'term deleveraging-spiral',
    data: {
      alert: 'digest',
      coins: coins.map((c) => ({ coin: c.coin, readings: c.readings.map(readingData) })),
    },
  });
}

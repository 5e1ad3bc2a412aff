// Numbers for the descriptions, taken from the built paths so the text stays true when a plan changes.
import type { ExpectedHit } from '../../src/mock-exchange/scenario.js';
import type { Built, Venue } from './build.js';

const VENUE_NAMES: Record<Venue, string> = {
  binanceusdm: 'Binance',
  bybit: 'Bybit',
  okx: 'OKX',
  hyperliquid: 'Hyperliquid',
};

export const venueName = (venue: Venue) => VENUE_NAMES[venue];

/** +12.3% / -4.0% */
export function pct(fraction: number, digits = 1): string {
  const text = (fraction * 100).toFixed(digits);
  return `${fraction >= 0 ? '+' : ''}${text}%`;
}

/** $1.23B, $45M, $800k */
export function usd(value: number): string {
  if (value >= 1e9) return `$${(value / 1e9).toFixed(2)}B`;
  if (value >= 1e6) return `$${(value / 1e6).toFixed(value >= 1e8 ? 0 : 1)}M`;
  return `$${Math.round(value / 1e3)}k`;
}

/** Funding per 8 h as a percentage: 0.010%. */
export function funding(rate: number): string {
  return `${(rate * 100).toFixed(3)}%`;
}

/** `2025-11-19 14:42 UTC (+30h42m)` for an offset of the built scenario. */
export function when(built: Built, sec: number, withDate = true): string {
  const iso = new Date(Date.parse(built.plan.start) + sec * 1000).toISOString();
  const clock = `${withDate ? `${iso.slice(0, 10)} ` : ''}${iso.slice(11, 16)} UTC`;
  const h = Math.floor(sec / 3600);
  const m = Math.round((sec % 3600) / 60);
  return `${clock} (+${h}h${String(m).padStart(2, '0')}m)`;
}

/** A price with sensible precision. */
export function price(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(3);
  return value.toPrecision(3);
}

/** The expect hits in words: `BTC on Binance, Bybit, OKX: warning by 21:10, critical by 21:15 UTC`. */
export function hitsText(built: Built, hits: readonly ExpectedHit[]): string {
  if (hits.length === 0) return '';
  const parts = hits.map(
    (hit) =>
      `${hit.base} on ${hit.venues.map(venueName).join('/')} critical by ${when(built, hit.criticalBySec, false)}`,
  );
  return `Expected: ${parts.join('; ')}; warning five minutes before each.`;
}

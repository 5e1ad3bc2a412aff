// Text helpers shared by handlers and renderers.

const SENTENCE_END = /[.!?](?=\s)|\n/g;

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/**
 * The largest index at or before `at` where `text` may be cut: between two graphemes, so an emoji (a surrogate
 * pair, a ZWJ family, a flag) or a letter with its accents stays whole. A lone surrogate is what the Bot API
 * refuses. When a single grapheme is longer than `at` (a run of combining marks), cut between code points.
 */
export function cutIndex(text: string, at: number): number {
  if (at >= text.length) return text.length;
  if (at <= 0) return 0;
  const start = GRAPHEMES.segment(text).containing(at)?.index ?? at;
  if (start > 0) return start;
  return isHighSurrogate(text.charCodeAt(at - 1)) ? at - 1 : at;
}

/**
 * Cuts `text` to at most `maxUnits` UTF-16 code units (what `.length` counts, and what Telegram and Discord
 * limits count), never inside a grapheme; `ellipsis` is appended when something was cut and counts in the limit.
 */
export function cutText(text: string, maxUnits: number, ellipsis = ''): string {
  if (text.length <= maxUnits) return text;
  const budget = Math.max(0, maxUnits - ellipsis.length);
  return text.slice(0, cutIndex(text, budget)) + ellipsis;
}

/**
 * Fits `text` into `maxChars`, cutting after the last whole sentence that fits (else the last whole word) and
 * appending `pointer` (how to read the rest). Never cuts inside a word.
 */
export function fitText(text: string, maxChars: number, pointer: string): string {
  if (text.length <= maxChars) return text;
  const suffix = ` … ${pointer}`;
  const budget = Math.max(0, maxChars - suffix.length);
  const window = text.slice(0, budget + 1);
  let cut = -1;
  for (const match of window.matchAll(SENTENCE_END)) {
    const end = match.index + (match[0] === '\n' ? 0 : 1);
    if (end <= budget) cut = end;
  }
  // Keep at least a third of the budget; a very early sentence end would throw most of the text away.
  if (cut < budget / 3) {
    const lastSpace = window.lastIndexOf(' ', budget);
    cut = lastSpace > 0 ? lastSpace : 0;
  }
  return text.slice(0, cut).trimEnd() + suffix;
}

/** Formats a USD amount compactly: $1.2B, $340M, $12.5k, $950. */
export { usd as formatUsd } from '../domain/format.js';

/** Formats a fraction as a signed percentage: 0.0123 → "+1.23%". */
export function formatPercent(fraction: number, digits = 2): string {
  const percent = fraction * 100;
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(digits)}%`;
}

/** Formats a price with sensible precision: 104,820.5 / 3.412 / 0.00001234. */
export { price as formatPrice } from '../domain/format.js';

/** Formats a duration in ms as "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(durationMs: number): string {
  const seconds = Math.max(0, Math.round(durationMs / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

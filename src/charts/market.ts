// The market chart: the last 24 h of one market in three panels over a shared UTC time axis: price with open
// interest on a second axis, liquidations per minute by side (shorts above zero, longs below), and funding per
// interval in percent. Missing values break the lines; a panel without data says so.
import { percent, price as formatPrice, usd } from '../domain/format.js';
import type { MarketHistory, Snapshot } from '../domain/market.js';
import type { Area, ChartImage } from './draw.js';
import { axisPrice, extent, finite, quoteOf, linear, niceTicks, Painter, TITLE_SIZE } from './draw.js';
import { chartTheme, type ChartThemeName } from './theme.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SPAN_MS = 24 * HOUR;
/** A gap between snapshots longer than this breaks the lines (the bot was not polling). */
const MAX_GAP_MS = 20 * MINUTE;

const LEFT = 130;
const RIGHT = 880;
const PRICE_PANEL: Area = { x: LEFT, y: 58, w: RIGHT - LEFT, h: 232 };
const LIQUIDATION_PANEL: Area = { x: LEFT, y: 304, w: RIGHT - LEFT, h: 140 };
const FUNDING_PANEL: Area = { x: LEFT, y: 458, w: RIGHT - LEFT, h: 110 };

function priceOf(s: Snapshot): number | null {
  return finite(s.markPrice) ?? finite(s.lastPrice) ?? finite(s.indexPrice);
}

function hhmm(at: number): string {
  return new Date(at).toISOString().slice(11, 16);
}

export function marketTitle(history: MarketHistory): string {
  return `${history.symbol} on ${history.exchange}: last 24 h`;
}

/** What the chart shows, in a sentence, for the image's alt text. */
export function marketAlt(history: MarketHistory): string {
  const last = [...history.snapshots].reverse();
  const price = last.map(priceOf).find((v) => v !== null);
  const oi = last.map((s) => finite(s.openInterestUsd)).find((v) => v !== null);
  const known = [
    price === undefined ? 'price: no data' : `price now ${formatPrice(price)}`,
    oi === undefined ? 'open interest: no data' : `open interest ${usd(oi)}`,
  ];
  return (
    `Chart of the last 24 h of ${history.symbol} on ${history.exchange}: price and open interest, liquidations ` +
    `per minute by side, and funding per interval (${known.join(', ')}).`
  );
}

export function marketChart(history: MarketHistory, themeName: ChartThemeName = 'dark'): ChartImage {
  const theme = chartTheme(themeName);
  const p = new Painter(theme);
  const snaps = history.snapshots;
  const buckets = history.liquidationBuckets;
  const lastAt = Math.max(
    snaps.length > 0 ? (snaps[snaps.length - 1] as Snapshot).at : -Infinity,
    ...buckets.map((b) => b.minuteAt + MINUTE),
  );
  p.text(marketTitle(history), 20, 36, { size: TITLE_SIZE, bold: true });
  if (!Number.isFinite(lastAt)) {
    for (const area of [PRICE_PANEL, LIQUIDATION_PANEL, FUNDING_PANEL]) p.noData(area);
    panelLabels(p, history.symbol);
    return p.finish();
  }
  const endAt = lastAt;
  const startAt = endAt - SPAN_MS;
  p.text(`to ${new Date(endAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`, 980, 36, {
    align: 'right',
    color: theme.muted,
  });
  const x = linear(startAt, endAt, LEFT, RIGHT);
  const inWindow = snaps.filter((s) => s.at >= startAt && s.at <= endAt);

  // Time grid and axis, every 4 h on the hour.
  const firstTick = Math.ceil(startAt / (4 * HOUR)) * 4 * HOUR;
  for (let t = firstTick; t <= endAt; t += 4 * HOUR) {
    for (const area of [PRICE_PANEL, LIQUIDATION_PANEL, FUNDING_PANEL]) {
      p.line(x(t), area.y, x(t), area.y + area.h, theme.grid, 1);
    }
    p.text(hhmm(t), x(t), FUNDING_PANEL.y + FUNDING_PANEL.h + 26, { align: 'center', color: theme.muted });
  }
  p.text('time (UTC)', RIGHT, 632, { align: 'right', color: theme.muted });

  pricePanel(p, inWindow, x);
  liquidationPanel(p, history, startAt, endAt, x);
  fundingPanel(p, inWindow, x);
  panelLabels(p, history.symbol, inWindow);
  return p.finish();
}

function panelLabels(p: Painter, symbol: string, snaps: readonly Snapshot[] = []): void {
  const theme = p.theme;
  const quote = quoteOf(symbol);
  const hours = [...snaps].reverse().find((s) => finite(s.fundingIntervalHours) !== null)?.fundingIntervalHours;
  const priceLabel = quote === '' ? 'price' : `price (${quote})`;
  const width = p.text(priceLabel, PRICE_PANEL.x + 10, PRICE_PANEL.y + 8, {
    baseline: 'top',
    color: theme.price,
    bold: true,
  });
  p.text('open interest, USD (right axis)', PRICE_PANEL.x + 30 + width, PRICE_PANEL.y + 8, {
    baseline: 'top',
    color: theme.openInterest,
    bold: true,
  });
  p.text('liquidations, USD per minute: shorts ↑', LIQUIDATION_PANEL.x + 10, LIQUIDATION_PANEL.y + 6, {
    baseline: 'top',
    color: theme.short,
    bold: true,
  });
  p.text('longs ↓', LIQUIDATION_PANEL.x + 10, LIQUIDATION_PANEL.y + LIQUIDATION_PANEL.h - 6, {
    baseline: 'bottom',
    color: theme.long,
    bold: true,
  });
  p.text(
    `funding per ${hours === undefined || hours === null ? 'interval' : `${hours} h`}, %`,
    FUNDING_PANEL.x + 10,
    FUNDING_PANEL.y + 6,
    { baseline: 'top', color: theme.funding, bold: true },
  );
}

/** Screen points of a series, null where the value is missing or the gap since the last snapshot is too long. */
function points(
  snaps: readonly Snapshot[],
  value: (s: Snapshot) => number | null,
  x: (at: number) => number,
  y: (v: number) => number,
): ({ x: number; y: number } | null)[] {
  const out: ({ x: number; y: number } | null)[] = [];
  let previousAt = -Infinity;
  for (const s of snaps) {
    if (s.at - previousAt > MAX_GAP_MS) out.push(null);
    previousAt = s.at;
    const v = value(s);
    out.push(v === null ? null : { x: x(s.at), y: y(v) });
  }
  return out;
}

function pricePanel(p: Painter, snaps: readonly Snapshot[], x: (at: number) => number): void {
  const theme = p.theme;
  const area = PRICE_PANEL;
  const priceRange = extent(snaps.map(priceOf));
  const oiRange = extent(snaps.map((s) => finite(s.openInterestUsd)));
  if (priceRange === null && oiRange === null) {
    p.noData(area);
    return;
  }
  const top = area.y + 40; // room for the panel's labels
  const bottom = area.y + area.h - 8;
  if (priceRange !== null) {
    const y = linear(priceRange.min, priceRange.max, bottom, top);
    const ticks = niceTicks(priceRange.min, priceRange.max, 4);
    const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
    for (const tick of ticks) {
      p.line(area.x, y(tick), area.x + area.w, y(tick), theme.grid, 1);
      p.text(axisPrice(tick, step), area.x - 8, y(tick), { align: 'right', baseline: 'middle', color: theme.price });
    }
  } else {
    p.text('price: no data', area.x + area.w / 2, area.y + area.h / 2 - 16, {
      align: 'center',
      color: theme.muted,
    });
  }
  if (oiRange !== null) {
    const y = linear(oiRange.min, oiRange.max, bottom, top);
    for (const tick of niceTicks(oiRange.min, oiRange.max, 4)) {
      p.text(usd(tick), area.x + area.w + 8, y(tick), { baseline: 'middle', color: theme.openInterest });
    }
    p.clip(area, () =>
      p.series(
        points(snaps, (s) => finite(s.openInterestUsd), x, y),
        theme.openInterest,
        2.5,
      ),
    );
  } else {
    p.text('open interest: no data', area.x + area.w / 2, area.y + area.h / 2 + 16, {
      align: 'center',
      color: theme.muted,
    });
  }
  if (priceRange !== null) {
    const y = linear(priceRange.min, priceRange.max, bottom, top);
    p.clip(area, () => p.series(points(snaps, priceOf, x, y), theme.price, 3));
  }
  p.frame(area);
}

function liquidationPanel(
  p: Painter,
  history: MarketHistory,
  startAt: number,
  endAt: number,
  x: (at: number) => number,
): void {
  const theme = p.theme;
  const area = LIQUIDATION_PANEL;
  const perMinute = new Map<number, { long: number; short: number }>();
  for (const b of history.liquidationBuckets) {
    if (b.minuteAt < startAt - MINUTE || b.minuteAt > endAt || !(b.sizeUsd > 0)) continue;
    const entry = perMinute.get(b.minuteAt) ?? { long: 0, short: 0 };
    entry[b.side] += b.sizeUsd;
    perMinute.set(b.minuteAt, entry);
  }
  if (perMinute.size === 0) {
    p.noData(area);
    return;
  }
  const max = Math.max(...[...perMinute.values()].flatMap((m) => [m.long, m.short]));
  const top = area.y + 32;
  const bottom = area.y + area.h - 32;
  const y = linear(-max, max, bottom, top);
  const zero = y(0);
  p.line(area.x, zero, area.x + area.w, zero, theme.axis, 1);
  p.text(usd(max), area.x - 8, top, { align: 'right', baseline: 'middle', color: theme.short });
  p.text('0', area.x - 8, zero, { align: 'right', baseline: 'middle', color: theme.muted });
  p.text(usd(-max), area.x - 8, bottom, { align: 'right', baseline: 'middle', color: theme.long });
  const width = Math.max(1, Math.ceil(x(MINUTE) - x(0)));
  p.clip(area, () => {
    for (const [minuteAt, m] of perMinute) {
      const left = x(minuteAt);
      if (m.short > 0) p.rect(left, y(m.short), width, zero - y(m.short), theme.short);
      if (m.long > 0) p.rect(left, zero, width, y(-m.long) - zero, theme.long);
    }
  });
  p.frame(area);
}

function fundingPanel(p: Painter, snaps: readonly Snapshot[], x: (at: number) => number): void {
  const theme = p.theme;
  const area = FUNDING_PANEL;
  const rates = snaps.map((s) => finite(s.fundingRate));
  const range = extent([...rates, 0], 0.1);
  if (rates.every((r) => r === null) || range === null) {
    p.noData(area);
    return;
  }
  const y = linear(range.min, range.max, area.y + area.h - 6, area.y + 34);
  const ticks = niceTicks(range.min, range.max, 2);
  for (const tick of ticks) {
    p.line(area.x, y(tick), area.x + area.w, y(tick), tick === 0 ? theme.axis : theme.grid, 1);
    p.text(percent(tick), area.x - 8, y(tick), { align: 'right', baseline: 'middle', color: theme.funding });
  }
  p.clip(area, () =>
    p.series(
      points(snaps, (s) => finite(s.fundingRate), x, y),
      theme.funding,
      2.5,
    ),
  );
  p.frame(area);
}

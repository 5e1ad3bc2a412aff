// The cascade chart: estimated liquidation levels around the current price as a horizontal heatmap (price on the
// Y axis, longs below the current price, shorts above, bar length and colour intensity by USD), the current and
// final price lines, and the cascade's path round by round as arrows in a column on the right.
import { percent, price as formatPrice, signedPercent, times, usd } from '../domain/format.js';
import type { CascadeEstimate } from '../risk/cascade.js';
import type { Area, ChartImage, TextOptions } from './draw.js';
import { axisPrice, FONT_SIZE, quoteOf, linear, niceStep, niceTicks, Painter, TITLE_SIZE } from './draw.js';
import { chartTheme, type ChartThemeName } from './theme.js';

const HEATMAP: Area = { x: 180, y: 92, w: 540, h: 448 };
const PATH_COLUMN: Area = { x: 740, y: 92, w: 240, h: 448 };
/** At most this many round numbers are written; arrows beyond are drawn without one. */
const MAX_ROUND_LABELS = 12;

export function cascadeTitle(e: CascadeEstimate): string {
  return `${e.symbol} on ${e.exchange}: ${percent(e.shock)} ${e.direction === 'down' ? 'drop' : 'rise'} (estimate)`;
}

/** What the chart shows, in a sentence, for the image's alt text. */
export function cascadeAlt(e: CascadeEstimate): string {
  const range = Math.max(...e.levels.bands.map((b) => Math.max(Math.abs(b.fromChange), Math.abs(b.toChange))), 0);
  return (
    `Chart of estimated liquidation levels of ${e.symbol} on ${e.exchange} within ±${percent(range)} of ` +
    `${formatPrice(e.startPrice)} (longs below, shorts above), and the path of a ${percent(e.shock)} ` +
    `${e.direction === 'down' ? 'drop' : 'rise'}: ${e.rounds} round(s) to ${formatPrice(e.finalPrice)}, ` +
    `${usd(e.liquidatedUsd)} liquidated.`
  );
}

export function cascadeChart(estimate: CascadeEstimate, themeName: ChartThemeName = 'dark'): ChartImage {
  const theme = chartTheme(themeName);
  const p = new Painter(theme);
  const e = estimate;
  const sign = e.direction === 'down' ? -1 : 1;

  p.text(cascadeTitle(e), 20, 34, { size: TITLE_SIZE, bold: true });
  p.text(
    `${usd(e.liquidatedUsd)} liquidated · ${formatPrice(e.startPrice)} → ${formatPrice(e.finalPrice)} ` +
      `(${signedPercent(sign * e.totalMove)}) · amplification ${times(e.amplification)} · ${e.rounds} round(s)`,
    20,
    68,
    { color: theme.muted },
  );

  const bands = e.levels.bands.filter(
    (b) => Number.isFinite(b.fromPrice) && Number.isFinite(b.toPrice) && b.toPrice > b.fromPrice,
  );
  const start = e.startPrice;
  if (!(start > 0) || !Number.isFinite(start)) {
    p.noData({ x: 20, y: HEATMAP.y, w: 960, h: HEATMAP.h });
    return p.finish();
  }
  const shocked = start * (1 + sign * e.shock);
  // The Y axis spans the levels map and the shock; a cascade that runs beyond it leaves the chart at the edge,
  // so a long cascade does not squash the map into a few pixels.
  const bandPrices = bands.flatMap((b) => [b.fromPrice, b.toPrice]);
  const reach = bands.length > 0 ? 0 : Math.max(e.totalMove, e.shock, 0.01) * 1.1;
  let lo = Math.min(shocked, start * (1 - reach), ...bandPrices);
  let hi = Math.max(shocked, start * (1 + reach), ...bandPrices);
  const pad = (hi - lo) * 0.02;
  lo -= pad;
  hi += pad;
  const bottom = HEATMAP.y + HEATMAP.h;
  const rawY = linear(lo, hi, bottom, HEATMAP.y);
  const y = (price: number): number => Math.min(bottom - 2, Math.max(HEATMAP.y + 2, rawY(price)));
  const offChart = e.finalPrice < lo || e.finalPrice > hi;

  // Y axis: price, with the change from the current price.
  const changeStep = niceStep((hi - lo) / start, 9);
  for (const change of niceTicks((lo - start) / start, (hi - start) / start, (hi - lo) / start / changeStep)) {
    const at = y(start * (1 + change));
    p.line(HEATMAP.x, at, PATH_COLUMN.x + PATH_COLUMN.w, at, theme.grid, 1);
    const label = `${axisPrice(start * (1 + change), start * changeStep)} ${change === 0 ? ' 0%' : signedPercent(change)}`;
    p.text(label, HEATMAP.x - 8, at, { align: 'right', baseline: 'middle', color: theme.muted });
  }

  // The heatmap.
  const maxUsd = Math.max(0, ...bands.map((b) => Math.max(b.longUsd, b.shortUsd)));
  const hasLevels = bands.length > 0 && maxUsd > 0;
  if (hasLevels) {
    const ticks = niceTicks(0, maxUsd, 4);
    const xMax = Math.max(maxUsd, ticks[ticks.length - 1] ?? maxUsd);
    const x = linear(0, xMax, HEATMAP.x, HEATMAP.x + HEATMAP.w);
    for (const tick of ticks) {
      p.line(x(tick), HEATMAP.y, x(tick), bottom, theme.grid, 1);
      p.text(usd(tick), x(tick), bottom + 26, { align: tick === 0 ? 'left' : 'center' });
    }
    p.clip(HEATMAP, () => {
      for (const band of bands) {
        const above = band.fromChange + band.toChange >= 0;
        const amount = above ? band.shortUsd : band.longUsd;
        if (!(amount > 0)) continue;
        const top = rawY(band.toPrice);
        const height = Math.max(1, rawY(band.fromPrice) - top - 1);
        const alpha = 0.3 + 0.7 * (amount / maxUsd);
        p.rect(HEATMAP.x, top + 0.5, x(amount) - HEATMAP.x, height, above ? theme.short : theme.long, alpha);
      }
    });
    let legendX = HEATMAP.x;
    legendX += p.text('USD liquidated per band (estimate):', legendX, bottom + 58, { color: theme.muted }) + 12;
    legendX += p.text('■ longs below', legendX, bottom + 58, { color: theme.long, bold: true }) + 12;
    p.text('■ shorts above', legendX, bottom + 58, { color: theme.short, bold: true });
  } else {
    p.noData(HEATMAP, 'no data: no liquidation levels');
  }
  p.frame(HEATMAP);

  // Current and final price.
  const startY = y(start);
  const finalY = y(e.finalPrice);
  p.line(HEATMAP.x, startY, PATH_COLUMN.x + PATH_COLUMN.w, startY, theme.text, 2);
  if (!offChart) p.line(HEATMAP.x, finalY, PATH_COLUMN.x + PATH_COLUMN.w, finalY, theme.path, 2, [8, 6]);
  const labelX = HEATMAP.x + HEATMAP.w - 8;
  const away = (baseline: 'top' | 'bottom'): TextOptions => ({ align: 'right', baseline, bold: true, box: true });
  p.text(
    `now ${formatPrice(start)} ${quoteOf(e.symbol)}`.trimEnd(),
    labelX,
    startY + 6 * sign,
    away(sign < 0 ? 'bottom' : 'top'),
  );
  const finalLabel = offChart
    ? `final ${formatPrice(e.finalPrice)} (${signedPercent(sign * e.totalMove)}) ${sign < 0 ? '↓' : '↑'} off the chart`
    : `final ${formatPrice(e.finalPrice)}`;
  // Below the final line on a drop (above on a rise), or inside the edge when the cascade leaves the chart.
  const inside = offChart ? -1 : 1;
  p.text(finalLabel, labelX, finalY - 8 * sign * inside, away(sign * inside < 0 ? 'top' : 'bottom'));

  drawPath(p, e, y, shocked);
  return p.finish();
}

/** The shock and each round as arrows, left to right, in the path column. */
function drawPath(p: Painter, e: CascadeEstimate, y: (price: number) => number, shocked: number): void {
  const theme = p.theme;
  const col = PATH_COLUMN;
  p.frame(col);
  // The header sits on the side the cascade does not run to.
  const down = e.direction === 'down';
  p.text('cascade path', col.x + col.w / 2, down ? col.y + 8 : col.y + col.h - 8, {
    align: 'center',
    baseline: down ? 'top' : 'bottom',
    color: theme.muted,
  });
  const n = e.path.length;
  const spacing = Math.min(44, (col.w - 40) / (n + 1));
  const x0 = col.x + 24;
  p.clip(col, () => {
    p.arrow(x0, y(e.startPrice), y(shocked), theme.shock, 4);
    e.path.forEach((round, i) => {
      const x = x0 + spacing * (i + 1);
      const from = y(round.priceBefore);
      const to = y(round.priceAfter);
      p.line(x - spacing, from, x, from, theme.axis, 1, [3, 3]);
      p.arrow(x, from, to, theme.path, 3);
    });
  });
  // Round numbers right of their arrows, outside the clip so a label at the edge stays whole.
  const every = Math.ceil(n / MAX_ROUND_LABELS);
  e.path.forEach((round, i) => {
    if (round.round % every !== 0 && i !== n - 1) return;
    const x = x0 + spacing * (i + 1);
    const mid = (y(round.priceBefore) + y(round.priceAfter)) / 2;
    const at = Math.min(col.y + col.h - 14, Math.max(col.y + 14, mid));
    p.text(String(round.round), x + 6, at, { baseline: 'middle', bold: true, size: FONT_SIZE });
  });
  const shockLabelY = (y(e.startPrice) + y(shocked)) / 2;
  p.text('shock', x0 + 10, shockLabelY, { baseline: 'middle', color: theme.shock, bold: true });
  if (n === 0) {
    const at = down ? col.y + col.h - 60 : col.y + 40;
    p.text('no level crossed:', col.x + col.w - 10, at, { align: 'right', color: theme.muted, box: true });
    p.text('no round', col.x + col.w - 10, at + 26, { align: 'right', color: theme.muted, box: true });
  }
}

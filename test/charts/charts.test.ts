import { describe, expect, it } from 'vitest';
import { cascadeChart } from '../../src/charts/cascade.js';
import { marketChart } from '../../src/charts/market.js';
import { createChartRenderer } from '../../src/charts/renderer.js';
import { chartTheme, CHART_THEMES } from '../../src/charts/theme.js';
import type { MarketHistory } from '../../src/domain/market.js';
import { estimateCascade, type CascadeEstimate } from '../../src/risk/cascade.js';
import { buildEmptySnapshot, buildLiquidationBucket, buildSnapshotSeries, HOUR, MINUTE } from '../builders.js';
import { marketReader, NOW } from '../marketReader.js';
import { isPng, readPixels } from './pixels.js';

const btc = marketReader.history('binanceusdm', 'BTC/USDT:USDT', NOW - 24 * HOUR);

function estimate(shock: number, direction: 'down' | 'up' = 'down'): CascadeEstimate {
  const result = estimateCascade({ history: btc, now: NOW, shock, direction });
  if (!result.ok) throw new Error(result.reason);
  return result;
}

function emptyHistory(): MarketHistory {
  return { exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT', snapshots: [], liquidationBuckets: [] };
}

describe.each(CHART_THEMES)('charts in the %s theme', (theme) => {
  const colours = chartTheme(theme);

  it('draws the cascade chart as a 1000×640 PNG with both sides of the heatmap, the path and the labels', async () => {
    const chart = cascadeChart(estimate(0.05), theme);
    expect(isPng(chart.png)).toBe(true);
    const pixels = await readPixels(chart.png);
    expect([pixels.width, pixels.height]).toEqual([1000, 640]);
    expect([chart.width, chart.height]).toEqual([1000, 640]);
    expect(pixels.has(colours.background, 0)).toBe(true);
    expect(pixels.drawnShare).toBeGreaterThan(0.05);
    expect(pixels.colours).toBeGreaterThan(20);
    expect(pixels.has(colours.long)).toBe(true);
    expect(pixels.has(colours.short)).toBe(true);
    expect(pixels.has(colours.shock)).toBe(true);
    expect(chart.texts).toEqual(expect.arrayContaining(['now 120,000 USDT', 'shock', 'cascade path', '1']));
    expect(chart.texts.some((t) => t.startsWith('final '))).toBe(true);
    expect(chart.texts.some((t) => /^132,000 \+10%$/.test(t))).toBe(true);
  });

  it('draws a short squeeze with its path going up', async () => {
    const chart = cascadeChart(estimate(0.02, 'up'), theme);
    const pixels = await readPixels(chart.png);
    expect(pixels.drawnShare).toBeGreaterThan(0.05);
    expect(chart.texts[0]).toMatch(/2% rise \(estimate\)$/);
  });

  it('draws the market chart with price, open interest, liquidations by side and funding', async () => {
    const chart = marketChart(btc, theme);
    const pixels = await readPixels(chart.png);
    expect([pixels.width, pixels.height]).toEqual([1000, 640]);
    expect(pixels.drawnShare).toBeGreaterThan(0.05);
    for (const colour of [colours.price, colours.openInterest, colours.funding, colours.long, colours.short]) {
      expect(pixels.has(colour), colour).toBe(true);
    }
    expect(chart.texts).not.toContain('no data');
    expect(chart.texts).toEqual(expect.arrayContaining(['funding per 8 h, %', '20:00', 'time (UTC)']));
  });

  it('renders an empty history without throwing and says "no data" in every panel', async () => {
    const chart = marketChart(emptyHistory(), theme);
    expect(chart.texts.filter((t) => t === 'no data')).toHaveLength(3);
    const pixels = await readPixels(chart.png);
    expect([pixels.width, pixels.height]).toEqual([1000, 640]);
    expect(pixels.drawnShare).toBeGreaterThan(0.005);
  });
});

describe('missing values', () => {
  it('leaves nulls out instead of drawing zeros, and says "no data" only where a whole panel is empty', () => {
    // Prices and funding every other snapshot; no open interest at all; no liquidations.
    const snapshots = buildSnapshotSeries(200, NOW - 200 * 5 * MINUTE, 5 * MINUTE, (i) =>
      i % 2 === 0
        ? { openInterestUsd: null }
        : { markPrice: null, lastPrice: null, indexPrice: null, fundingRate: null, openInterestUsd: null },
    );
    const chart = marketChart({ ...emptyHistory(), snapshots }, 'dark');
    expect(chart.texts).toContain('open interest: no data');
    expect(chart.texts.filter((t) => t === 'no data')).toHaveLength(1); // the liquidation panel
    // A price axis from the prices given: no tick at 0, as a null drawn as zero would force.
    expect(chart.texts).not.toContain('0');
    expect(chart.texts.some((t) => /^121,\d{3}/.test(t))).toBe(true);
  });

  it('draws snapshots whose every value is null as three empty panels', () => {
    const snapshots = [buildEmptySnapshot({ at: NOW - HOUR }), buildEmptySnapshot({ at: NOW })];
    const chart = marketChart({ ...emptyHistory(), snapshots }, 'light');
    expect(chart.texts.filter((t) => t === 'no data')).toHaveLength(3);
  });

  it('draws liquidations alone, one bar per minute and side', async () => {
    const buckets = [
      buildLiquidationBucket({ minuteAt: NOW - 10 * MINUTE, side: 'long', sizeUsd: 2_000_000 }),
      buildLiquidationBucket({ minuteAt: NOW - 10 * MINUTE, side: 'short', sizeUsd: 500_000 }),
    ];
    const chart = marketChart({ ...emptyHistory(), liquidationBuckets: buckets }, 'dark');
    expect(chart.texts.filter((t) => t === 'no data')).toHaveLength(2);
    expect(chart.texts).toEqual(expect.arrayContaining(['$2M', '-$2M']));
    expect((await readPixels(chart.png)).has(chartTheme('dark').long)).toBe(true);
  });

  it('says "no data" for a cascade estimate without liquidation levels or rounds', () => {
    const base = estimate(0.05);
    const empty: CascadeEstimate = {
      ...base,
      path: [],
      rounds: 0,
      finalPrice: base.startPrice * 0.95,
      totalMove: 0.05,
      levels: { ...base.levels, bands: base.levels.bands.map((b) => ({ ...b, longUsd: 0, shortUsd: 0 })) },
    };
    const chart = cascadeChart(empty, 'dark');
    expect(chart.texts).toContain('no data: no liquidation levels');
    expect(chart.texts).toContain('no level crossed:');
    const noBands = cascadeChart({ ...empty, levels: { ...empty.levels, bands: [] } }, 'light');
    expect(noBands.texts).toContain('no data: no liquidation levels');
  });
});

describe('the chart renderer', () => {
  it('gives reply images with a safe file name and an alt text that says what the chart shows', () => {
    const charts = createChartRenderer('light');
    const cascade = charts.cascade(estimate(0.05));
    expect(cascade.filename).toBe('cascade-binanceusdm-BTC-USDT-USDT.png');
    expect(isPng(cascade.png)).toBe(true);
    expect(cascade.alt).toMatch(
      /^Chart of estimated liquidation levels of BTC\/USDT:USDT on binanceusdm within ±10% of 120,000/,
    );
    const market = charts.market(btc);
    expect(market.filename).toBe('market-binanceusdm-BTC-USDT-USDT.png');
    expect(market.alt).toMatch(/last 24 h of BTC\/USDT:USDT on binanceusdm: price and open interest/);
    expect(charts.market(emptyHistory()).alt).toMatch(/price: no data, open interest: no data/);
  });
});

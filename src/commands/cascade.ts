import type { CascadeEstimate, LiquidationBand } from '../risk/cascade.js';
import { estimateCascade } from '../risk/cascade.js';
import type { CommandDefinition } from './command.js';
import { booleanArg, numberArg, stringArg } from './command.js';
import { isFresh, missingDataReply } from './dataState.js';
import { userError } from './errors.js';
import { reply } from './reply.js';
import { chartImage } from './chartImage.js';
import { RISK_HISTORY_MS } from './riskData.js';
import { largestByOpenInterest, notPolledYet, resolveOrReply, symbolOption } from './symbols.js';
import { formatPrice, formatUsd } from './text.js';

const DEFAULT_SHOCK_PERCENT = 5;
const BAR_WIDTH = 12;
/** Bands of the text heatmap are merged to this width, so the map fits a chat message. */
const HEATMAP_BAND = 0.01;

/** Merges the estimator's fine bands into HEATMAP_BAND-wide rows, farthest above first. */
function heatmapRows(bands: readonly LiquidationBand[]): { label: string; price: number; usd: number; side: string }[] {
  const rows = new Map<number, { price: number; usd: number }>();
  for (const band of bands) {
    // Row -1 holds the bands from -1% to 0, row 0 those from 0 to +1%, and so on.
    const row = Math.floor((band.fromChange + band.toChange) / 2 / HEATMAP_BAND);
    const above = row >= 0;
    const current = rows.get(row) ?? { price: above ? band.toPrice : band.fromPrice, usd: 0 };
    current.usd += above ? band.shortUsd : band.longUsd;
    current.price = above ? Math.max(current.price, band.toPrice) : Math.min(current.price, band.fromPrice);
    rows.set(row, current);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => b - a)
    .map(([row, { price, usd }]) => {
      const edgePercent = Math.round((row >= 0 ? row + 1 : row) * HEATMAP_BAND * 100);
      return { label: `${edgePercent > 0 ? '+' : ''}${edgePercent}%`, price, usd, side: row >= 0 ? 'shorts' : 'longs' };
    });
}

export function renderHeatmap(estimate: CascadeEstimate): string {
  const rows = heatmapRows(estimate.levels.bands);
  const max = Math.max(...rows.map((r) => r.usd), 1);
  return rows
    .map((r) => {
      const bar = '█'.repeat(Math.round((r.usd / max) * BAR_WIDTH));
      return `${r.label.padStart(4)} ${formatPrice(r.price).padStart(9)} ${bar.padEnd(BAR_WIDTH)} ${r.usd > 0 ? `${formatUsd(r.usd)} ${r.side}` : ''}`.trimEnd();
    })
    .join('\n');
}

function summary(e: CascadeEstimate): string {
  const move = e.direction === 'down' ? 'drop' : 'rise';
  const percentOf = (f: number): string => `${(f * 100).toFixed(1)}%`;
  const side = e.direction === 'down' ? 'longs' : 'shorts';
  return (
    `A ${percentOf(e.shock)} ${move} from ${formatPrice(e.startPrice)} would force about ${formatUsd(e.liquidatedUsd)} of ${side} ` +
    `to be liquidated (${percentOf(e.liquidatedShareOfOi)} of open interest) and carry the price to ${formatPrice(e.finalPrice)}: ` +
    `${percentOf(e.totalMove)} in all, amplification ${e.amplification.toFixed(2)}× over ${e.rounds} round(s)` +
    `${e.roundLimitReached ? ', stopped at the round limit with levels still being crossed' : ''}.`
  );
}

export const cascadeCommand: CommandDefinition = {
  name: 'cascade',
  description: 'Estimate the liquidation cascade a price shock would set off',
  usage: 'cascade <symbol> [shock%] [--up]',
  slow: true,
  options: [
    symbolOption(true),
    {
      name: 'shock',
      description: `the initial move in percent, 0.1 to 50 (default ${DEFAULT_SHOCK_PERCENT})`,
      type: 'number',
      min: 0.1,
      max: 50,
    },
    { name: 'up', description: 'a move up (a short squeeze) instead of down', type: 'boolean' },
  ],
  run(args, { services, now }) {
    const market = services.market;
    if (!market) return userError('noData', { what: 'Market data is not running in this process.' });
    const missing = missingDataReply(services, now);
    if (missing) return missing;
    const query = stringArg(args, 'symbol') ?? '';
    const resolved = resolveOrReply(query, market.markets());
    if (!resolved.ok) return resolved.reply;
    const missingHere = missingDataReply(services, now, {
      subject: `No fresh data for ${query}`,
      markets: resolved.markets,
    });
    if (missingHere) return missingHere;
    // Of the named markets, only those with fresh data: a stale one's levels are not today's.
    const fresh = market.latestSnapshots().filter((s) => isFresh(s, now));
    const largest = largestByOpenInterest(resolved.markets, fresh);
    if (!largest) return notPolledYet(query);
    const target = largest.market;
    const shockPercent = numberArg(args, 'shock') ?? DEFAULT_SHOCK_PERCENT;
    const estimate = estimateCascade({
      history: market.history(target.exchange, target.symbol, now - RISK_HISTORY_MS),
      now,
      shock: shockPercent / 100,
      direction: booleanArg(args, 'up') ? 'up' : 'down',
      marginTiers: services.leverageTiers?.(target.exchange, target.symbol),
    });
    if (!estimate.ok)
      return userError('noData', {
        what: `No cascade estimate for ${target.symbol} on ${target.exchange}: ${estimate.reason}`,
      });
    const path = estimate.path.map(
      (r) =>
        `round ${r.round}: ${formatPrice(r.priceBefore)} → ${formatPrice(r.priceAfter)}, ${formatUsd(r.liquidatedUsd)} liquidated`,
    );
    const level =
      estimate.amplification >= 2
        ? 'critical'
        : estimate.amplification >= 1.5
          ? 'warning'
          : estimate.amplification > 1.1
            ? 'elevated'
            : 'calm';
    const charts = services.charts;
    return reply(`Cascade estimate: ${estimate.symbol} on ${estimate.exchange}`, summary(estimate), {
      level,
      fields: [
        { name: 'Path', value: path.join('\n') || 'no liquidations crossed' },
        { name: 'Liquidation levels (USD liquidated if the price reaches the band)', value: renderHeatmap(estimate) },
        { name: 'Assumptions', value: estimate.assumptions.map((a) => `- ${a}`).join('\n') },
      ],
      links: [
        { label: 'Liquidation cascade', command: 'term liquidation-cascade' },
        { label: 'Cascade amplification', command: 'term cascade-amplification' },
        { label: 'Liquidation price', command: 'term liquidation-price' },
      ],
      ...chartImage(charts && (() => charts.cascade(estimate))),
      data: estimate,
    });
  },
};

import type { MarketAssessment } from '../risk/assess.js';
import { CASCADE_ESTIMATE_NOTE } from '../risk/cascade.js';
import type { RiskCycle } from '../risk/cycle.js';
import type { ScoreComponent } from '../risk/score.js';
import { formatUsd } from './text.js';
import type { CommandDefinition } from './command.js';
import { stringArg } from './command.js';
import { userError } from './errors.js';
import { reply, type Reply, type ReplyImage, type ReplyLink } from './reply.js';
import { chartImage } from './chartImage.js';
import { currentRisk, RISK_HISTORY_MS } from './riskData.js';
import { missingDataReply } from './dataState.js';
import { notPolledYet, resolveOrReply, symbolOption } from './symbols.js';

/** The glossary entry that explains each score component. */
const COMPONENT_TERMS: Record<ScoreComponent, { id: string; label: string }> = {
  leverageBuildUp: { id: 'open-interest', label: 'Open interest' },
  fundingCrowding: { id: 'funding-rate', label: 'Funding rate' },
  basisStretch: { id: 'basis', label: 'Basis' },
  liquidationLevels: { id: 'liquidation-price', label: 'Liquidation price' },
  liquidityThinness: { id: 'price-impact', label: 'Price impact' },
  liquidationSurge: { id: 'liquidation-cascade', label: 'Liquidation cascade' },
  oiFlush: { id: 'forced-deleveraging', label: 'Forced deleveraging' },
  priceStress: { id: 'deleveraging-spiral', label: 'Deleveraging spiral' },
  bookThinning: { id: 'order-book-depth', label: 'Order-book depth' },
};

const TOP_MARKETS = 10;
/** The shock the market-wide reply quotes from the stress grid. */
const HEADLINE_SHOCK = 0.1;

function marketLine(m: Pick<MarketAssessment, 'exchange' | 'symbol' | 'score' | 'level'>, regime: string): string {
  return `${m.symbol} on ${m.exchange}: ${m.score} ${m.level}${regime === 'quiet' ? '' : `, ${regime}`}`;
}

function marketWideReply(cycle: RiskCycle): Reply {
  const wide = cycle.marketWide;
  const drop = cycle.stress.rows.find((r) => r.direction === 'down' && r.shock === HEADLINE_SHOCK);
  const stressLine = drop
    ? `A ${HEADLINE_SHOCK * 100}% drop would force about ${formatUsd(drop.liquidatedUsd)} of liquidations across ${cycle.stress.markets} watched markets ${CASCADE_ESTIMATE_NOTE}.`
    : '';
  const top = cycle.markets.slice(0, TOP_MARKETS).map((m) => marketLine(m, m.regime.regime));
  return reply(
    `Market-wide spiral risk: ${wide.score}/100 (${wide.level})`,
    [wide.reason, stressLine].filter(Boolean).join('\n\n'),
    {
      level: wide.level,
      fields: [
        { name: `Top markets by score (of ${cycle.markets.length})`, value: top.join('\n') || 'none yet' },
        {
          name: 'Levels',
          value: Object.entries(wide.levelCounts)
            .map(([level, count]) => `${level} ${count}`)
            .join(' · '),
        },
      ],
      links: [
        { label: 'Deleveraging spiral', command: 'term deleveraging-spiral' },
        { label: 'Stress test', command: 'term stress-test' },
      ],
      more: 'risk <symbol> explains one market',
      data: {
        at: cycle.at,
        marketWide: wide,
        stress: cycle.stress,
        markets: cycle.markets.map(({ features: _features, ...rest }) => rest),
      },
    },
  );
}

/** The two halves of the score, so a reader sees whether it is the load or the unwind that speaks. */
function subScoresLine(a: Pick<MarketAssessment, 'fragility' | 'unwinding'>): string {
  return `Fragility ${Math.round(a.fragility)}/100 (how loaded the market is), unwinding ${Math.round(a.unwinding)}/100 (how strongly a spiral is under way).`;
}

function marketReply(
  assessment: MarketAssessment,
  others: readonly MarketAssessment[],
  image: { image?: ReplyImage } = {},
): Reply {
  const a = assessment;
  const confidence = `Confidence ${Math.round(a.confidence * 100)}%: ${a.confidence < 1 ? 'some inputs are missing, and a missing input never adds points.' : 'every input present.'}`;
  const fields = a.reasons.map((r) => ({ name: `${r.label}: ${r.points}/${r.maxPoints}`, value: r.text }));
  if (others.length > 0) {
    fields.push({ name: 'Other venues', value: others.map((o) => marketLine(o, o.regime.regime)).join('\n') });
  }
  const links: ReplyLink[] = a.reasons
    .filter((r) => r.points > 0)
    .map((r) => COMPONENT_TERMS[r.component])
    .map((t) => ({ label: t.label, command: `term ${t.id}` }));
  return reply(
    `${a.symbol} on ${a.exchange}: ${a.score}/100 (${a.level}, ${a.regime.regime})`,
    [a.regime.reason, subScoresLine(a), confidence].join('\n\n'),
    {
      level: a.level,
      fields,
      links,
      more: `cascade ${a.symbol} estimates a liquidation cascade`,
      ...image,
      data: { assessment: a, otherVenues: others.map(({ features: _features, ...rest }) => rest) },
    },
  );
}

export const riskCommand: CommandDefinition = {
  name: 'risk',
  description: 'The spiral score of the whole market, or of one market with its reasons',
  usage: 'risk [symbol]',
  slow: true,
  options: [symbolOption(false)],
  run(args, { services, now }) {
    if (!services.market) return userError('noData', { what: 'Market data is not running in this process.' });
    const missing = missingDataReply(services, now);
    if (missing) return missing;
    const cycle = currentRisk(services, now);
    if (!cycle) return userError('noData', { what: 'No market has been polled yet: the first poll has not finished.' });
    const query = stringArg(args, 'symbol');
    if (query === undefined) {
      // A score of no market is 0 and reads calm: say there is no reading instead.
      if (cycle.marketWide.marketsScored === 0) {
        return userError('noData', {
          what:
            cycle.markets.length === 0
              ? 'No market-wide reading yet: the risk engine has not scored a market with fresh data.'
              : `No market-wide reading: none of the ${cycle.markets.length} market(s) with fresh data has a known open interest, which weighs the score.`,
        });
      }
      return marketWideReply(cycle);
    }
    const resolved = resolveOrReply(query, services.market.markets());
    if (!resolved.ok) return resolved.reply;
    const missingHere = missingDataReply(services, now, {
      subject: `No fresh data for ${query}`,
      markets: resolved.markets,
    });
    if (missingHere) return missingHere;
    const keys = new Set(resolved.markets.map((m) => `${m.exchange}:${m.symbol}`));
    const matching = cycle.markets
      .filter((m) => keys.has(m.market))
      .sort((x, y) => (y.openInterestUsd ?? 0) - (x.openInterestUsd ?? 0));
    const [largest, ...others] = matching;
    if (!largest) return notPolledYet(query);
    const { market, charts } = services;
    const image = chartImage(
      charts && (() => charts.market(market.history(largest.exchange, largest.symbol, now - RISK_HISTORY_MS))),
    );
    return marketReply(largest, others, image);
  },
};

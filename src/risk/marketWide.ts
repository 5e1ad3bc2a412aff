// The market-wide spiral score: the markets' scores weighted by their open interest in USD, with the markets that
// drive it and its own level (with hysteresis, like a market's).
import type { ExchangeId, MarketKey } from '../domain/market.js';
import type { MarketAssessment } from './assess.js';
import { percent, usd } from '../domain/format.js';
import { RISK_LEVELS, compareLevels, nextLevel } from './levels.js';
import type { RiskLevel } from './levels.js';
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';
import { REGIMES } from './regimes.js';
import type { Regime } from './regimes.js';

/** What the market-wide score reads of each market (a MarketAssessment has it all). */
export type MarketWideInput = Pick<
  MarketAssessment,
  'market' | 'exchange' | 'score' | 'level' | 'confidence' | 'openInterestUsd'
> & { regime: { regime: Regime } };

export interface MarketContributor {
  market: MarketKey;
  score: number;
  level: RiskLevel;
  regime: Regime;
  openInterestUsd: number;
  /** Share of the total open interest. */
  weight: number;
  /** Points of the market-wide score this market contributes (score x weight), one decimal. */
  points: number;
}

export interface ExchangeScore {
  exchange: ExchangeId;
  /** The exchange's markets' scores weighted by open interest, rounded. */
  score: number;
  openInterestUsd: number;
  markets: number;
}

export interface MarketWideAssessment {
  at: number;
  /** 0-100: the open-interest-weighted mean of the markets' scores, rounded. */
  score: number;
  level: RiskLevel;
  previousLevel: RiskLevel | null;
  levelChanged: boolean;
  /** The markets' confidences weighted by open interest. */
  confidence: number;
  /** Markets with open interest, which carry the score. */
  marketsScored: number;
  /** Markets without a known open interest; listed in the counts but without weight. */
  marketsWithoutOpenInterest: number;
  totalOpenInterestUsd: number;
  /** The largest contributors, by points. */
  topContributors: MarketContributor[];
  /** Points contributed by all other markets (one decimal). */
  othersPoints: number;
  levelCounts: Record<RiskLevel, number>;
  regimeCounts: Record<Regime, number>;
  /** Share of open interest in markets at warning or above. */
  stressedShareOfOi: number;
  byExchange: ExchangeScore[];
  /** One line, e.g. "market-wide 48 (elevated), driven by binanceusdm:BTC/USDT:USDT 62 (35% of OI)". */
  reason: string;
}

export interface MarketWideOptions {
  previousLevel?: RiskLevel | null;
}

export function marketWideScore(
  markets: readonly MarketWideInput[],
  now: number,
  options: MarketWideOptions = {},
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): MarketWideAssessment {
  const levelCounts = Object.fromEntries(RISK_LEVELS.map((l) => [l, 0])) as Record<RiskLevel, number>;
  const regimeCounts = Object.fromEntries(REGIMES.map((r) => [r, 0])) as Record<Regime, number>;
  let totalOi = 0;
  let withoutOi = 0;
  for (const m of markets) {
    levelCounts[m.level]++;
    regimeCounts[m.regime.regime]++;
    if (m.openInterestUsd === null) withoutOi++;
    else totalOi += m.openInterestUsd;
  }
  const weighted = markets.filter(
    (m): m is MarketWideInput & { openInterestUsd: number } => m.openInterestUsd !== null,
  );

  let raw = 0;
  let confidence = 0;
  let stressedOi = 0;
  const contributors: MarketContributor[] = [];
  const exchanges = new Map<ExchangeId, { weighted: number; oi: number; markets: number }>();
  for (const m of weighted) {
    const weight = totalOi > 0 ? m.openInterestUsd / totalOi : 0;
    raw += weight * m.score;
    confidence += weight * m.confidence;
    if (compareLevels(m.level, 'warning') >= 0) stressedOi += m.openInterestUsd;
    contributors.push({
      market: m.market,
      score: m.score,
      level: m.level,
      regime: m.regime.regime,
      openInterestUsd: m.openInterestUsd,
      weight,
      points: weight * m.score,
    });
    const e = exchanges.get(m.exchange) ?? { weighted: 0, oi: 0, markets: 0 };
    e.weighted += m.score * m.openInterestUsd;
    e.oi += m.openInterestUsd;
    e.markets++;
    exchanges.set(m.exchange, e);
  }
  contributors.sort((a, b) => b.points - a.points || b.openInterestUsd - a.openInterestUsd);
  const top = contributors.slice(0, params.marketWide.topContributors);
  const topPoints = top.reduce((sum, c) => sum + c.points, 0);
  const score = Math.round(raw);
  const previousLevel = options.previousLevel ?? null;
  const level = nextLevel(previousLevel, score, params);
  const byExchange = [...exchanges.entries()]
    .map(([exchange, e]) => ({
      exchange,
      score: e.oi > 0 ? Math.round(e.weighted / e.oi) : 0,
      openInterestUsd: e.oi,
      markets: e.markets,
    }))
    .sort((a, b) => b.openInterestUsd - a.openInterestUsd);

  const drivers = top
    .filter((c) => c.points > 0)
    .slice(0, 3)
    .map((c) => `${c.market} ${c.score} (${percent(c.weight)} of OI)`);
  const reason =
    weighted.length === 0
      ? 'market-wide: no market with known open interest'
      : `market-wide ${score} (${level}) over ${usd(totalOi)} of open interest` +
        (drivers.length > 0 ? `, driven by ${drivers.join(', ')}` : '');

  return {
    at: now,
    score,
    level,
    previousLevel,
    levelChanged: level !== (previousLevel ?? 'calm'),
    confidence: Math.round(confidence * 1000) / 1000,
    marketsScored: weighted.length,
    marketsWithoutOpenInterest: withoutOi,
    totalOpenInterestUsd: totalOi,
    topContributors: top.map((c) => ({ ...c, points: round1(c.points) })),
    othersPoints: round1(Math.max(0, raw - topPoints)),
    levelCounts,
    regimeCounts,
    stressedShareOfOi: totalOi > 0 ? stressedOi / totalOi : 0,
    byExchange,
    reason,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

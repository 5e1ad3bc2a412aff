// Levels of a spiral score with hysteresis: a level is entered at its threshold and kept down to threshold -
// margin, so a score that hovers at a boundary does not flap between two levels.
import { DEFAULT_RISK_PARAMETERS } from './parameters.js';
import type { RiskParameters } from './parameters.js';

/** From calm to critical; the names match the command layer's reply levels. */
export const RISK_LEVELS = ['calm', 'elevated', 'warning', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The score at which `level` is entered (0 for calm). */
export function enterThreshold(level: RiskLevel, params: RiskParameters = DEFAULT_RISK_PARAMETERS): number {
  return level === 'calm' ? 0 : params.levels.enter[level];
}

/** The lowest score at which a market already at `level` stays there. */
export function stayThreshold(level: RiskLevel, params: RiskParameters = DEFAULT_RISK_PARAMETERS): number {
  return level === 'calm' ? 0 : params.levels.enter[level] - params.levels.margin;
}

/** Orders levels: negative when a is below b. */
export function compareLevels(a: RiskLevel, b: RiskLevel): number {
  return RISK_LEVELS.indexOf(a) - RISK_LEVELS.indexOf(b);
}

/**
 * The level after `score`, given the level before it (null: no previous level, i.e. calm). The result is the
 * highest level whose condition holds: levels at or below the previous one need score >= enter - margin, levels
 * above it need score >= enter. So rising needs the full threshold and falling needs a margin below it.
 */
export function nextLevel(
  previous: RiskLevel | null,
  score: number,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): RiskLevel {
  const prevRank = previous === null ? 0 : RISK_LEVELS.indexOf(previous);
  for (let rank = RISK_LEVELS.length - 1; rank > 0; rank--) {
    const level = RISK_LEVELS[rank] as RiskLevel;
    const threshold = rank <= prevRank ? stayThreshold(level, params) : enterThreshold(level, params);
    if (score >= threshold) return level;
  }
  return 'calm';
}

/** The level of a score without history (as if the previous level were calm). */
export function levelOf(score: number, params: RiskParameters = DEFAULT_RISK_PARAMETERS): RiskLevel {
  return nextLevel(null, score, params);
}

/** Levels along a series of scores, each with hysteresis against the one before. */
export function levelSeries(
  scores: readonly number[],
  initial: RiskLevel | null = null,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): RiskLevel[] {
  const out: RiskLevel[] = [];
  let level = initial;
  for (const score of scores) {
    level = nextLevel(level, score, params);
    out.push(level);
  }
  return out;
}

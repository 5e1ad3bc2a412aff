import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_PARAMETERS, resolveRiskParameters, riskParametersSchema } from '../../src/risk/parameters.js';
import { SCORE_COMPONENTS } from '../../src/risk/score.js';

describe('risk parameters', () => {
  it('validates the documented defaults, whose fragility alone stops between warning and critical', () => {
    expect(riskParametersSchema.safeParse(DEFAULT_RISK_PARAMETERS).success).toBe(true);
    const { score, levels } = DEFAULT_RISK_PARAMETERS;
    for (const c of SCORE_COMPONENTS) expect(score[c].weight).toBeGreaterThan(0);
    expect(100 * score.fragilityCeiling).toBeGreaterThanOrEqual(levels.enter.warning);
    expect(100 * score.fragilityCeiling).toBeLessThan(levels.enter.critical);
  });

  it('overlays overrides on the defaults, replacing arrays whole', () => {
    const p = resolveRiskParameters({
      levels: { margin: 3 },
      cascade: { leverageBuckets: [{ leverage: 20, weight: 1 }] },
    });
    expect(p.levels.margin).toBe(3);
    expect(p.levels.enter).toEqual(DEFAULT_RISK_PARAMETERS.levels.enter);
    expect(p.cascade.leverageBuckets).toEqual([{ leverage: 20, weight: 1 }]);
    expect(DEFAULT_RISK_PARAMETERS.levels.margin).toBe(5);
  });

  it('rejects parameters that would break the score or the estimator', () => {
    expect(() => resolveRiskParameters({ levels: { enter: { elevated: 60, warning: 50, critical: 70 } } })).toThrow(
      /elevated < warning < critical/,
    );
    expect(() => resolveRiskParameters({ score: { basisStretch: { weight: 1.5 } } })).toThrow(/weight/);
    expect(() => resolveRiskParameters({ score: { fragilityCeiling: -0.1 } })).toThrow(/fragilityCeiling/);
    expect(() => resolveRiskParameters({ cascade: { leverageBuckets: [{ leverage: 10, weight: 0.5 }] } })).toThrow(
      /add up to 1/,
    );
    expect(() => resolveRiskParameters({ score: { basisStretch: { basis: { start: 0.01, half: 0.001 } } } })).toThrow(
      /half must be above start/,
    );
    expect(() => resolveRiskParameters({ cascade: { initialEntryPoints: 4 } })).toThrow(/odd/);
  });
});

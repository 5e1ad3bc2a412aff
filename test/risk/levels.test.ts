import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RISK_LEVELS, enterThreshold, levelOf, levelSeries, nextLevel, stayThreshold } from '../../src/risk/levels.js';
import type { RiskLevel } from '../../src/risk/levels.js';
import { DEFAULT_RISK_PARAMETERS, resolveRiskParameters } from '../../src/risk/parameters.js';

const { enter, margin } = DEFAULT_RISK_PARAMETERS.levels;

describe('levels with hysteresis', () => {
  it('enters a level at its threshold', () => {
    expect(levelOf(enter.elevated - 1)).toBe('calm');
    expect(levelOf(enter.elevated)).toBe('elevated');
    expect(levelOf(enter.warning)).toBe('warning');
    expect(levelOf(enter.critical)).toBe('critical');
    expect(levelOf(100)).toBe('critical');
    expect(nextLevel(null, 0)).toBe('calm');
  });

  it('stays in a level down to its threshold minus the margin, then falls to the level the score holds', () => {
    expect(nextLevel('warning', enter.warning - margin)).toBe('warning');
    expect(nextLevel('warning', enter.warning - margin - 1)).toBe('elevated');
    expect(nextLevel('critical', enter.warning - margin)).toBe('warning');
    expect(nextLevel('critical', 0)).toBe('calm');
    expect(nextLevel('elevated', enter.elevated - margin)).toBe('elevated');
  });

  it('rises past several levels at once when the score jumps', () => {
    expect(nextLevel('calm', enter.critical)).toBe('critical');
    // Rising needs the full threshold: the margin only helps a level already held.
    expect(nextLevel('elevated', enter.warning - 1)).toBe('elevated');
  });

  it('does not flap on a noisy series at a boundary', () => {
    // Any series that stays within (threshold - margin, +∞) changes level at most once upward at that boundary.
    fc.assert(
      fc.property(
        fc.constantFrom<RiskLevel>('elevated', 'warning', 'critical'),
        fc.array(fc.double({ min: -margin + 0.01, max: margin - 0.01, noNaN: true }), { minLength: 2, maxLength: 200 }),
        (level, noise) => {
          const threshold = enterThreshold(level);
          const levels = levelSeries(noise.map((n) => threshold + n));
          const changes = levels.filter((l, i) => i > 0 && l !== levels[i - 1]).length;
          // The first point may already be in the level (no change) or below it (calm etc.); once reached, held.
          expect(changes).toBeLessThanOrEqual(1);
          const firstIn = levels.indexOf(level);
          if (firstIn >= 0) expect(levels.slice(firstIn).every((l) => l === level)).toBe(true);
        },
      ),
      { seed: 20251010, numRuns: 300 },
    );
  });

  it('without hysteresis the same noise would flap (the margin is what prevents it)', () => {
    const params = resolveRiskParameters({ levels: { margin: 0 } });
    const noisy = [50, 49, 51, 48, 52, 49];
    const flapping = levelSeries(noisy, null, params);
    expect(flapping.filter((l, i) => i > 0 && l !== flapping[i - 1]).length).toBeGreaterThan(2);
    expect(levelSeries(noisy)).toEqual(['warning', 'warning', 'warning', 'warning', 'warning', 'warning']);
  });

  it('is monotone: a higher score never gives a lower level from the same previous level', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RiskLevel | null>(null, ...RISK_LEVELS),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (previous, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(RISK_LEVELS.indexOf(nextLevel(previous, lo))).toBeLessThanOrEqual(
            RISK_LEVELS.indexOf(nextLevel(previous, hi)),
          );
        },
      ),
      { seed: 20251010, numRuns: 300 },
    );
  });

  it('gives calm thresholds of 0', () => {
    expect(enterThreshold('calm')).toBe(0);
    expect(stayThreshold('calm')).toBe(0);
    expect(stayThreshold('warning')).toBe(enter.warning - margin);
  });
});

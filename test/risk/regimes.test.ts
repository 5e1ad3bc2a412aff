import { describe, expect, it } from 'vitest';
import type { NearLiquidationLevels } from '../../src/risk/cascade.js';
import { emptyFeatureValues } from '../../src/risk/features.js';
import type { FeatureValues } from '../../src/risk/features.js';
import { classifyRegime } from '../../src/risk/regimes.js';

const features = (values: Partial<FeatureValues>): FeatureValues => ({ ...emptyFeatureValues(), ...values });

const near = (overrides: Partial<NearLiquidationLevels> = {}): NearLiquidationLevels => ({
  withinFraction: 0.02,
  longUsd: 1_000_000,
  shortUsd: 500_000,
  longShareOfOi: 0.01,
  shortShareOfOi: 0.005,
  bidDepthUsd: 50_000_000,
  askDepthUsd: 50_000_000,
  depthSource: 'book',
  ...overrides,
});

describe('regimes', () => {
  it('calls a market unwinding when liquidations surge while open interest falls and the price moves', () => {
    const r = classifyRegime(
      features({ liqSurge5m: 9, oiChange15m: -0.06, priceChange5m: -0.025, depthThinning: 0.9 }),
      near(),
    );
    expect(r.regime).toBe('unwinding');
    expect(r.reason).toBe(
      'unwinding: liquidations 9× the usual in 5 min; open interest -6% in 15 min; price -2.5% in 5 min',
    );
    expect(r.signals.find((s) => s.name === 'depthThinning')?.met).toBe(false);
  });

  it('does not call a price move on a thin book unwinding without forced closing', () => {
    const r = classifyRegime(
      features({ priceChange5m: -0.03, depthThinning: 0.3, liqSurge5m: 1, oiChange15m: 0 }),
      null,
    );
    expect(r.regime).toBe('quiet');
    expect(r.reason).toMatch(/^quiet: only price -3% in 5 min; book at 30% of its usual depth/);
  });

  it('calls a market loaded when open interest rises with funding stretched', () => {
    const r = classifyRegime(features({ oiChange4h: 0.18, fundingAnnualized: 0.49, fundingZScore: 1 }), near());
    expect(r.regime).toBe('loaded');
    expect(r.reason).toBe('loaded: open interest +18% in 4 h; funding +49%/yr');
  });

  it('calls a market loaded when open interest rises with dense liquidation levels near the price', () => {
    const dense = near({ longUsd: 30_000_000, longShareOfOi: 0.15 });
    const r = classifyRegime(features({ oiChange24h: 0.12, fundingAnnualized: 0.11 }), dense);
    expect(r.regime).toBe('loaded');
    expect(r.reason).toBe(
      'loaded: open interest +12% in 24 h; $30M of long liquidation levels within 2% below the price (15% of open interest)',
    );
    // Dense against the recorded book: levels of half the bid depth within the same 2%.
    const againstBook = classifyRegime(
      features({ oiChange24h: 0.12 }),
      near({ longUsd: 30_000_000, longShareOfOi: 0.05, bidDepthUsd: 40_000_000 }),
    );
    expect(againstBook.regime).toBe('loaded');
    // ... but not against a fallback book, which is a guess.
    const guessed = classifyRegime(
      features({ oiChange24h: 0.12 }),
      near({ longUsd: 30_000_000, longShareOfOi: 0.05, bidDepthUsd: 40_000_000, depthSource: 'volume' }),
    );
    expect(guessed.regime).toBe('quiet');
  });

  it('prefers unwinding over loaded when both hold', () => {
    const r = classifyRegime(
      features({ oiChange4h: 0.2, fundingAnnualized: 0.6, liqSurge15m: 5, priceChange1h: -0.05 }),
      near(),
    );
    expect(r.regime).toBe('unwinding');
  });

  it('says quiet with the reason, and that it cannot judge without data', () => {
    expect(classifyRegime(features({ oiChange4h: 0.01, fundingAnnualized: 0.1 }), near()).reason).toBe(
      'quiet: no leverage build-up and no forced selling',
    );
    expect(classifyRegime(features({ oiChange4h: 0.1, fundingAnnualized: 0.1 }), near()).reason).toMatch(
      /^quiet: open interest \+10% in 4 h, but funding is not stretched/,
    );
    const none = classifyRegime(emptyFeatureValues(), null);
    expect(none.regime).toBe('quiet');
    expect(none.reason).toBe('quiet: not enough data to judge');
    expect(none.signals.every((s) => s.met === null)).toBe(true);
  });
});

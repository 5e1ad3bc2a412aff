// Every tunable number of the risk engine, in one validated place. Each function of src/risk takes a
// `RiskParameters` as its last argument and defaults to `DEFAULT_RISK_PARAMETERS`; `resolveRiskParameters`
// overlays a partial set of overrides on the defaults and validates the result. docs/risk.md explains how the
// numbers are used; the comment on each says what it is and why it has that value.
import { z } from 'zod';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const fraction = z.number().finite().min(0).max(1);
const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();
const durationMs = z.number().int().positive();

/**
 * A saturating map from an input to a share of a component's points: 0 up to `start`, half of the points at
 * `half`, and each further (half - start) halves the remaining gap to all points:
 * share(x) = x <= start ? 0 : 1 - 2^(-(x - start) / (half - start)).
 */
export const saturationSchema = z
  .object({ start: z.number().finite(), half: z.number().finite() })
  .refine((s) => s.half > s.start, { message: 'half must be above start' });
export type Saturation = z.infer<typeof saturationSchema>;

/**
 * A score component: its weight (0-1, the share of the whole scale it would take alone at full strength; within
 * fragility, of the fragility ceiling) and its maps.
 */
const componentSchema = <T extends z.ZodRawShape>(inputs: T) => z.object({ weight: fraction, ...inputs });

export const leverageBucketSchema = z.object({
  /** Position leverage, e.g. 10 for 10x. */
  leverage: z.number().finite().gt(1),
  /** Share of each side's open interest held at this leverage. */
  weight: fraction,
});
export type LeverageBucket = z.infer<typeof leverageBucketSchema>;

/** One tier of a venue's maintenance margin table: positions up to `maxNotionalUsd` use this rate. */
export const marginTierSchema = z.object({
  maxNotionalUsd: positive,
  maintenanceMarginRate: z.number().finite().min(0).lt(1),
  /** The tier's maximum leverage, when the venue says; leverage buckets above it are folded into it. */
  maxLeverage: z.number().finite().gt(1).optional(),
});
export type MarginTier = z.infer<typeof marginTierSchema>;

export const riskParametersSchema = z
  .object({
    features: z.object({
      /** A field's latest value counts as current while it is at most this old (price, OI, funding, depth). */
      maxValueAgeMs: durationMs,
      /** The span of the market's own norms: funding z-score, volatility, depth median, liquidation baseline. */
      normWindowMs: durationMs,
      /** The same for slowly polled fields (long/short account ratio). */
      slowValueAgeMs: durationMs,
      /** A lookback of window W accepts a reference snapshot within this fraction of W of its target time. */
      lookbackTolerance: z.number().finite().positive().max(0.5),
      funding: z.object({
        /** Fewest funding observations in the history for a z-score. */
        minSamples: z.number().int().min(2),
        /** Shortest history span for a z-score. */
        minSpanMs: durationMs,
        /** Floor of the funding standard deviation, per hour, so a flat history does not divide by ~0. */
        stdFloorPerHour: positive,
      }),
      liquidations: z.object({
        /** The short recent window. */
        shortWindowMs: durationMs,
        /** The long recent window; the baseline (the norm window before it) ends where it starts. */
        longWindowMs: durationMs,
        /** Shortest baseline for a surge ratio. */
        minBaselineMs: durationMs,
        /** Lowest baseline, USD per minute, so a market that rarely liquidates does not show infinite surges. */
        floorUsdPerMinute: nonNegative,
        /** Lowest baseline as a fraction of open interest per minute. */
        floorOiFractionPerMinute: nonNegative,
      }),
      openInterest: z.object({
        /** How far back the recent open-interest peak is looked for (the memory of the build-up into an unwind). */
        peakWindowMs: durationMs,
        /** The build-up into that peak is measured from the lowest open interest this long before it. */
        buildUpWindowMs: durationMs,
        /** Shortest span before the peak for a build-up figure. */
        minBuildUpSpanMs: durationMs,
      }),
      volatility: z.object({
        /** Fewest price returns for the 5-minute realized volatility (the fine tier has 30 s snapshots). */
        minReturnsShort: z.number().int().min(1),
        /**
         * Grid on which the 1 h volatility, its norm and the depth median are read, so the store's two resolutions
         * (30 s, 5 min) weigh alike.
         */
        gridMs: durationMs,
        /** Shortest history for the 24 h volatility norm. */
        minBaselineSpanMs: durationMs,
      }),
      depth: z.object({
        /** Depth band (percent of mid) whose thinning is measured. */
        thinningBandPercent: positive,
        /** Depth band (percent of mid) open interest is compared with. */
        oiBandPercent: positive,
        /** Fewest depth observations for a median. */
        minSamples: z.number().int().min(1),
        /** Shortest span of depth observations for a median. */
        minSpanMs: durationMs,
      }),
    }),
    score: z.object({
      /**
       * The most the fragility sub-score can give on its own (0-1): a loaded market may reach warning before any
       * trigger, but critical needs forced flow under way.
       */
      fragilityCeiling: fraction,
      /**
       * Price stress and book thinning count at this share until forced closing (liquidation surge or open-interest
       * flush) confirms them; with full confirmation they count whole. A move on a thin book alone is no spiral.
       */
      confirmationFloor: fraction,
      // Fragility: a market loaded for a spiral.
      leverageBuildUp: componentSchema({
        oiChange1h: saturationSchema,
        oiChange4h: saturationSchema,
        oiChange24h: saturationSchema,
        /** On open interest added into its recent peak; counts in proportion to the forced closing under way. */
        peakBuildUp: saturationSchema,
        /** Below this absolute price change the reason says "price flat". */
        flatPriceChange: positive,
      }),
      fundingCrowding: componentSchema({
        /** On |annualized funding|. */
        annualized: saturationSchema,
        /** On |funding z-score|. */
        zScore: saturationSchema,
        /** The z-score only counts when |annualized funding| is at least this (an unusual but tiny rate is no crowd). */
        zScoreMinAnnualized: nonNegative,
      }),
      basisStretch: componentSchema({ basis: saturationSchema }),
      liquidationLevels: componentSchema({
        /** On the estimated liquidation levels within the near band on the heavier side, as a share of open interest. */
        shareOfOi: saturationSchema,
        /** On the same levels over the recorded book depth that would absorb them. */
        toDepth: saturationSchema,
      }),
      liquidityThinness: componentSchema({
        oiToDepth: saturationSchema,
        oiToVolume: saturationSchema,
      }),
      // Unwinding: a spiral under way.
      liquidationSurge: componentSchema({ surgeShort: saturationSchema, surgeLong: saturationSchema }),
      oiFlush: componentSchema({
        /** On the fall of open interest (positive numbers: 0.05 = -5%). */
        oiDrop15m: saturationSchema,
        oiDrop1h: saturationSchema,
        /** On the fall from its peak over the memory window. */
        oiDropFromPeak: saturationSchema,
        /**
         * The fall from the peak counts while the flush is still under way: fully when open interest fell at least
         * this much (0.02 = -2%) over the last hour or liquidations surge, in proportion below, not at all after.
         */
        ongoingDrop1h: positive,
      }),
      priceStress: componentSchema({
        priceChange5m: saturationSchema,
        priceChange15m: saturationSchema,
        priceChange1h: saturationSchema,
        volatilityRatio: saturationSchema,
      }),
      bookThinning: componentSchema({
        /** On 1 - depth thinning ratio (0.6 = the book holds 40% of its usual depth). */
        depthLoss: saturationSchema,
      }),
    }),
    levels: z.object({
      /** Score at which each level is entered. */
      enter: z.object({ elevated: positive, warning: positive, critical: positive }),
      /** A level is kept while the score stays at or above its enter threshold minus this margin. */
      margin: nonNegative,
    }),
    regimes: z.object({
      unwinding: z.object({
        surge: positive,
        oiDrop15m: positive,
        oiDrop1h: positive,
        priceMove5m: positive,
        priceMove1h: positive,
        depthThinning: positive,
        /** Signals needed, of which one must be the surge or the OI drop. */
        minSignals: z.number().int().min(1).max(4),
      }),
      loaded: z.object({
        oiRise1h: positive,
        oiRise4h: positive,
        oiRise24h: positive,
        fundingAnnualized: positive,
        fundingZScore: positive,
        /** The z-score counts only with at least this |annualized funding|. */
        fundingZScoreMinAnnualized: nonNegative,
        /** "Near": liquidation levels within this fraction of the price. */
        nearFraction: positive,
        /** "Dense": near levels on one side at least this share of open interest. */
        nearShareOfOi: positive,
        /** Or near levels on one side at least this multiple of the book depth that absorbs them (same band). */
        nearToDepth: positive,
      }),
    }),
    marketWide: z.object({
      /** How many markets to name as the drivers of the market-wide score. */
      topContributors: z.number().int().min(1),
    }),
    cascade: z.object({
      /**
       * Share of each side's open interest that no price move liquidates (hedged or fully collateralised); the
       * leverage mix describes the rest.
       */
      hedgedShare: z.number().finite().min(0).lt(1),
      leverageBuckets: z.array(leverageBucketSchema).min(1),
      /** Maintenance margin rate when the venue's tiers are not given. */
      defaultMaintenanceMarginRate: z.number().finite().min(0).lt(1),
      /** Position size used to pick a tier from a venue's margin table. */
      representativePositionUsd: positive,
      /** Closing fee or liquidation penalty reserved from the margin (added to the MMR in the formula). */
      liquidationFeeRate: z.number().finite().min(0).lt(1),
      /** Nearest a liquidation level may sit to its entry (leverage the MMR would not allow is clamped here). */
      minLiquidationDistance: positive,
      /** Half-width of the triangular spread of the window's opening open interest around the opening price. */
      initialEntrySpread: fraction,
      /** Points that spread is sampled at (odd, so one sits at the opening price). */
      initialEntryPoints: z
        .number()
        .int()
        .min(1)
        .refine((n) => n % 2 === 1, 'must be odd'),
      /** Entry prices are pooled in bins of this width in log price around the current price. */
      entryBinWidth: positive,
      /** Exponent of the impact law beyond the deepest depth band. */
      impactExponent: positive,
      /**
       * Beyond the recorded book, with a known 24 h volume: impact = Y x sigma x sqrt(Q / V) for the USD Q the book did
       * not absorb (the square-root law in its volume form). Y is this coefficient, sigma `impactDailyVolatility`.
       */
      impactCoefficient: positive,
      impactDailyVolatility: positive,
      /** Without a recorded book: depth within the 5% band per side as a fraction of 24 h volume. */
      volumeDepthFraction: positive,
      /** Without a book and volume: depth within the 5% band per side as a fraction of open interest. */
      oiDepthFraction: positive,
      /** Fallback book's deepest band, percent of mid. */
      fallbackBandPercent: positive,
      /** Largest total move the estimator reports (a price does not reach zero). */
      maxMove: z.number().finite().positive().lt(1),
      maxRounds: z.number().int().min(1),
      /** Bands of the liquidation-levels map: width and reach on each side, as fractions of the price. */
      levelBandWidth: positive,
      levelRange: positive,
    }),
    stressGrid: z.object({
      /** How many markets each shock names as the worst. */
      worstMarkets: z.number().int().min(1),
    }),
  })
  .superRefine((p, ctx) => {
    const { elevated, warning, critical } = p.levels.enter;
    if (!(elevated < warning && warning < critical && critical <= 100)) {
      ctx.addIssue({ code: 'custom', path: ['levels', 'enter'], message: 'need elevated < warning < critical <= 100' });
    }
    if (p.levels.margin >= elevated) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels', 'margin'],
        message: 'margin must be below the elevated threshold',
      });
    }
    const weights = p.cascade.leverageBuckets.reduce((sum, b) => sum + b.weight, 0);
    if (Math.abs(weights - 1) > 1e-6) {
      ctx.addIssue({
        code: 'custom',
        path: ['cascade', 'leverageBuckets'],
        message: `weights must add up to 1 (got ${weights})`,
      });
    }
    const f = p.features.liquidations;
    if (f.shortWindowMs > f.longWindowMs || f.longWindowMs >= p.features.normWindowMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['features', 'liquidations'],
        message: 'need shortWindowMs <= longWindowMs < features.normWindowMs',
      });
    }
  });

export type RiskParameters = z.infer<typeof riskParametersSchema>;

const DEFAULTS: RiskParameters = {
  features: {
    // Fast fields are polled every 30 s; Binance OI is on a tiered cadence, so a few minutes' gap is normal.
    // 15 min keeps a value that is still meaningful for a spiral that unfolds over tens of minutes.
    maxValueAgeMs: 15 * MINUTE_MS,
    // 24 h: the store's window, long enough to hold a day's rhythm (funding, Asian/US sessions).
    normWindowMs: 24 * HOUR_MS,
    // Long/short account ratios come from slower endpoints (the slow poll runs every 15 min): allow four polls.
    slowValueAgeMs: 60 * MINUTE_MS,
    // 10%: the 1 h lookback accepts a snapshot 6 min off target, the 24 h one 2.4 h (the 24 h window's edge).
    lookbackTolerance: 0.1,
    funding: {
      // 12 observations and 6 h: fewer would make the standard deviation itself noise.
      minSamples: 12,
      minSpanMs: 6 * HOUR_MS,
      // 0.000002/h = 0.0016% per 8 h: below any rate move that matters, above float noise of a flat series.
      stdFloorPerHour: 0.000002,
    },
    liquidations: {
      // 5 and 15 min: a spiral's liquidations arrive in bursts of minutes; these are the issue's windows.
      shortWindowMs: 5 * MINUTE_MS,
      longWindowMs: 15 * MINUTE_MS,
      // 2 h: a shorter baseline is too easily a single burst.
      minBaselineMs: 2 * HOUR_MS,
      // $500/min: below it liquidations are noise for any market the bot watches (min OI $1M).
      floorUsdPerMinute: 500,
      // 0.0005% of OI per minute (0.72%/day): a quarter of the BitMEX study's average daily forced
      // liquidations (3.5% of longs, 1.9% of shorts), as sampled feeds show a fraction of them.
      floorOiFractionPerMinute: 0.000005,
    },
    openInterest: {
      // 6 h: long enough to span a slide that unwinds in legs, short enough that yesterday's crowd is not today's.
      peakWindowMs: 6 * HOUR_MS,
      // 24 h: the store's window; the build-up is read from the day's low before the peak.
      buildUpWindowMs: 24 * HOUR_MS,
      // 2 h: a shorter span is noise, not a build-up.
      minBuildUpSpanMs: 2 * HOUR_MS,
    },
    volatility: {
      // 4 returns: with 30 s snapshots 5 min has 10; fewer than 4 is not a volatility.
      minReturnsShort: 4,
      // 5 min: the coarse tier's resolution, so the 1 h figure and the 24 h norm are measured alike.
      gridMs: 5 * MINUTE_MS,
      // 6 h of history before a volatility is called unusual.
      minBaselineSpanMs: 6 * HOUR_MS,
    },
    depth: {
      // 1%: the liquidity a cascade meets first; 2% for OI, the band most venues' depth figures use.
      thinningBandPercent: 1,
      oiBandPercent: 2,
      // Depth is polled every minute for the top markets: 6 samples over 2 h make a median worth comparing to.
      minSamples: 6,
      minSpanMs: 2 * HOUR_MS,
    },
  },
  score: {
    // Fragility alone stops at 65: a market loaded on every count reaches warning (50) before any trigger, while
    // critical (70) needs forced flow under way. Each fragility weight is the share of that ceiling it takes alone.
    fragilityCeiling: 0.65,
    // A price move or a thin book without forced closing counts 40%: the choppy days and thin weekends of the calm
    // traps move prices too; forced closing is what makes a move a spiral.
    confirmationFloor: 0.4,
    // Leverage piling up is the precondition of every spiral in the reference events. Points start at +2%/1 h,
    // +4%/4 h, +8%/24 h (ordinary drift stays below) and reach half at three times that. The build-up into the
    // recent peak (+8% → +25%) stands in for them while that open interest is being flushed.
    leverageBuildUp: {
      weight: 0.55,
      oiChange1h: { start: 0.02, half: 0.06 },
      oiChange4h: { start: 0.04, half: 0.12 },
      oiChange24h: { start: 0.08, half: 0.25 },
      peakBuildUp: { start: 0.08, half: 0.25 },
      flatPriceChange: 0.01,
    },
    // Crowding tells which side is exposed. 0.01%/8 h (11%/yr) is the default rate on most venues, so points start
    // just above it at 12%/yr and reach half at 35%/yr (three times the default); a z-score counts from 1.5σ, half
    // at 3σ.
    fundingCrowding: {
      weight: 0.45,
      annualized: { start: 0.12, half: 0.35 },
      zScore: { start: 1.5, half: 3 },
      zScoreMinAnnualized: 0.1,
    },
    // A perpetual far from its index is demand paying up for leverage; 0.1% is ordinary noise, 0.4% is rare.
    basisStretch: { weight: 0.3, basis: { start: 0.001, half: 0.004 } },
    // Levels within 2% on one side: about 1% of open interest is what an ordinary leverage mix puts there (its 50x
    // and 100x buckets, calm replays measure 0.9-1.4%); from 2%, half at 6%, a crowd sits at the price. Against the
    // book: an ordinary market's near levels are already 1-2x the book of the band (calm replays), so a multiple
    // counts from 2x, half at 6x.
    liquidationLevels: {
      weight: 0.4,
      shareOfOi: { start: 0.02, half: 0.06 },
      toDepth: { start: 2, half: 6 },
    },
    // A structurally thin market: OI/depth within 2% from 100x (half 300x); OI/24 h volume from 0.5 (half 1.5).
    liquidityThinness: {
      weight: 0.35,
      oiToDepth: { start: 100, half: 300 },
      oiToVolume: { start: 0.5, half: 1.5 },
    },
    // Forced closing under way is the spiral itself: alone it can carry a market to critical. The surge is the
    // window's rate with its largest minute cut to the second largest (one print is not a cascade): 3x the usual in 5 min starts it, 10x
    // gives half; 15 min, steadier, 2.5x → 8x.
    liquidationSurge: { weight: 0.8, surgeShort: { start: 3, half: 10 }, surgeLong: { start: 2.5, half: 8 } },
    // Open interest falling fast means positions closed, often by force (2021-05-19: BTC OI more than halved):
    // 2%/15 min, 3%/1 h, 4% from the recent peak start it; 5%, 8% and 12% give half.
    oiFlush: {
      weight: 0.6,
      oiDrop15m: { start: 0.02, half: 0.05 },
      oiDrop1h: { start: 0.03, half: 0.08 },
      oiDropFromPeak: { start: 0.04, half: 0.12 },
      ongoingDrop1h: 0.02,
    },
    // 0.5%/5 min, 1%/15 min and 1.5%/1 h are ordinary for crypto; 2%, 3.5% and 5% are not. Volatility counts from
    // 1.5x its 24 h norm, half at 3x.
    priceStress: {
      weight: 0.65,
      priceChange5m: { start: 0.005, half: 0.02 },
      priceChange15m: { start: 0.01, half: 0.035 },
      priceChange1h: { start: 0.015, half: 0.05 },
      volatilityRatio: { start: 1.5, half: 3 },
    },
    // A book emptying turns forced orders into price moves (2025-10-10: books near mid nearly empty): from 25%
    // below its median, half at 55%.
    bookThinning: { weight: 0.45, depthLoss: { start: 0.25, half: 0.55 } },
  },
  levels: {
    // Fragility alone tops out at 65 (warning); forced flow alone can pass 70; both together get there sooner.
    enter: { elevated: 25, warning: 50, critical: 70 },
    // 5 points: more than the score's minute-to-minute noise on a steady market, small enough to let go promptly.
    margin: 5,
  },
  regimes: {
    unwinding: {
      // 3x the usual liquidations, OI -2%/15 min or -4%/1 h, price 1%/5 min or 3%/1 h, depth at 60% of usual.
      surge: 3,
      oiDrop15m: 0.02,
      oiDrop1h: 0.04,
      priceMove5m: 0.01,
      priceMove1h: 0.03,
      depthThinning: 0.6,
      minSignals: 2,
    },
    loaded: {
      // OI +3%/1 h, +5%/4 h or +10%/24 h is leverage arriving faster than ordinary drift.
      oiRise1h: 0.03,
      oiRise4h: 0.05,
      oiRise24h: 0.1,
      // 30%/yr is three times the default rate; 2σ with at least 10%/yr is unusual for the market itself.
      fundingAnnualized: 0.3,
      fundingZScore: 2,
      fundingZScoreMinAnnualized: 0.1,
      // Within 2% of the price, 10% of OI on one side, or half the book depth of the same band.
      nearFraction: 0.02,
      nearShareOfOi: 0.1,
      nearToDepth: 0.5,
    },
  },
  marketWide: { topContributors: 5 },
  cascade: {
    // A third: calibrated on 2025-10-10 and 2021-05-19 (docs/risk.md, test/risk/calibration.test.ts). Without it the
    // estimate for the realised move was about 1.5x the published share on both events (12.8% against 8.6%, 30.5%
    // against 21%). Open interest that a price move cannot liquidate: basis and funding trades hedged with spot,
    // delta-neutral market makers, synthetic-dollar protocols' shorts, cross-margined accounts whose equity far
    // exceeds the margin. One value for every venue and both sides.
    hedgedShare: 1 / 3,
    // The mix of the rest (the positions a move can liquidate). Its shape comes from 2025-10-10 (positions at 10x or
    // more, liquidated within about 10%, are about a fifth of the leveraged part); the higher buckets stay (the
    // BitMEX study found liquidated traders averaged about 60x); the heatmap tool's mix (5x 15%, 10x 30%, 25x 25%,
    // 50x 20%, 100x 10%) describes where levels sit, not how much open interest is at each.
    leverageBuckets: [
      { leverage: 2, weight: 0.5 },
      { leverage: 5, weight: 0.3 },
      { leverage: 10, weight: 0.1 },
      { leverage: 25, weight: 0.06 },
      { leverage: 50, weight: 0.03 },
      { leverage: 100, weight: 0.01 },
    ],
    // 0.5%: the lowest tier's rate on major USD-M perpetuals is 0.4-0.5% (alts often 1-2.5%: pass tiers).
    defaultMaintenanceMarginRate: 0.005,
    // $10k: most liquidated positions are retail-sized; the tier that size falls in sets the MMR.
    representativePositionUsd: 10_000,
    // 0: Binance's isolated-margin formula has no fee term (the clearance fee is charged after). Set e.g. 0.0005
    // for venues that reserve the closing fee.
    liquidationFeeRate: 0,
    // 0.1%: a level cannot sit on its entry; clamps buckets the MMR would not allow.
    minLiquidationDistance: 0.001,
    // ±5% triangular: positions open at the window's start were opened over the previous days, when the price
    // typically moved a few percent; the triangle keeps most near the opening price.
    initialEntrySpread: 0.05,
    initialEntryPoints: 21,
    // 0.05%: finer than any band of the levels map (0.5%), coarse enough to pool 30 s snapshots.
    entryBinWidth: 0.0005,
    // 0.5: the square-root law of market impact.
    impactExponent: 0.5,
    // Y = 1: the law's constant is of order one in the studies of metaorders (Toth et al. 2011, "Anomalous price
    // impact and the critical nature of liquidity in financial markets", Phys. Rev. X 1).
    impactCoefficient: 1,
    // 4% a day: a typical daily volatility of the large perpetuals; the book refills at this pace beyond its depth.
    impactDailyVolatility: 0.04,
    // 2%: books of liquid perpetuals hold roughly 1-4% of a day's volume within 5% of mid per side.
    volumeDepthFraction: 0.02,
    // 1%: a last resort, only when neither a book nor a volume is known.
    oiDepthFraction: 0.01,
    fallbackBandPercent: 5,
    // 95%: beyond that the model says nothing useful.
    maxMove: 0.95,
    // 50 rounds: cascades on recorded books settle within a few; the limit only stops pathological inputs.
    maxRounds: 50,
    // 40 bands of 0.5% from -10% to +10%.
    levelBandWidth: 0.005,
    levelRange: 0.1,
  },
  stressGrid: { worstMarkets: 5 },
};

/** The documented defaults, validated at load. */
export const DEFAULT_RISK_PARAMETERS: RiskParameters = riskParametersSchema.parse(DEFAULTS);

/** A partial override: any nested field may be given; arrays replace the default array whole. */
export type RiskParameterOverrides = DeepPartial<RiskParameters>;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Overlays `overrides` on `base` (the defaults) and validates the result; throws a ZodError when invalid. */
export function resolveRiskParameters(
  overrides: RiskParameterOverrides = {},
  base: RiskParameters = DEFAULT_RISK_PARAMETERS,
): RiskParameters {
  return riskParametersSchema.parse(merge(base, overrides));
}

function merge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = merge(base[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

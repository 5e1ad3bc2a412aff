// The scenario file of the mock exchange: which venues list which linear perpetuals, how each market's state moves
// over time (keyframes, linearly interpolated), which liquidations happen, and which faults the server injects.
// Every field is documented in docs/scenario.md. `parseScenario` validates a JSON value; `loadScenario` reads a file.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { EXCHANGE_IDS, exchangeIdSchema } from '../domain/market.js';
import type { ExchangeId } from '../domain/market.js';

const finite = z.number().finite();
const positive = finite.positive();
const nonNegative = finite.nonnegative();
/** Seconds since the scenario's start. */
const offsetSec = nonNegative;

// ---------------------------------------------------------------------------------------------------------------
// Faults (also accepted at run time by `MockExchange.injectFault`)

const faultCommon = {
  /** Only this venue; every venue when absent. */
  venue: exchangeIdSchema.optional(),
  /**
   * REST route pattern (glob, `*` matches anything) matched against the path after the venue prefix, without the
   * query: `/fapi/v1/premiumIndex`, `/v5/market/*`, `/api/v5/public/*`; Hyperliquid routes are `/info:<type>`,
   * e.g. `/info:l2Book`. Every route when absent. Ignored by the socket kinds.
   */
  route: z.string().min(1).optional(),
  /** Active from this scenario offset (seconds); from the start (or from injection) when absent. */
  fromSec: offsetSec.optional(),
  /** Active until this scenario offset (exclusive); until removed when absent. */
  toSec: offsetSec.optional(),
  /** Applies to at most this many matching requests, then stops applying. */
  count: z.number().int().positive().optional(),
};

export const faultSpecSchema = z.discriminatedUnion('kind', [
  /** Answer with this HTTP status and the body the venue (or its CDN, for 5xx) sends with it. */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('status'),
    status: z.number().int().min(400).max(599),
    retryAfterSec: z.number().int().nonnegative().optional(),
  }),
  /** The venue's own rate-limit answer (Binance 429 -1003, Bybit 200 retCode 10006, OKX 429 50011, Hyperliquid 429). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('rateLimit'),
    retryAfterSec: z.number().int().nonnegative().optional(),
  }),
  /** The venue's ban answer (Binance 418 -1003, Bybit 403 "access too frequent", OKX and Hyperliquid as rateLimit). */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('ipBan'),
    retryAfterSec: z.number().int().nonnegative().optional(),
  }),
  /** The venue's unknown-symbol answer, whatever the request asked for. */
  z.strictObject({ ...faultCommon, kind: z.literal('badSymbol') }),
  /** Answer normally after this many milliseconds (wall time). */
  z.strictObject({ ...faultCommon, kind: z.literal('delay'), delayMs: z.number().int().positive().max(600_000) }),
  /** HTTP 200 whose body is not JSON (a JavaScript-ish object literal). */
  z.strictObject({ ...faultCommon, kind: z.literal('malformedJson') }),
  /** HTTP 200 with the real body cut in the middle. */
  z.strictObject({ ...faultCommon, kind: z.literal('truncated') }),
  /** HTTP 200 with an empty body. */
  z.strictObject({ ...faultCommon, kind: z.literal('empty') }),
  /**
   * The real answer with this field removed from every object that has it, at any depth; with `onlyWhere`, only from
   * objects in which some value equals that string (a venue id such as `BTCUSDT` or `BTC-USDT-SWAP`).
   */
  z.strictObject({
    ...faultCommon,
    kind: z.literal('missingField'),
    field: z.string().min(1),
    onlyWhere: z.string().min(1).optional(),
  }),
  /** Sockets: terminate the venue's connections when the fault becomes active, and refuse upgrades (503) while it is. */
  z.strictObject({ ...faultCommon, kind: z.literal('dropSockets') }),
  /** Sockets: stay open, answer pings and subscriptions, but push no data while active (liquidations due then are lost). */
  z.strictObject({ ...faultCommon, kind: z.literal('silence') }),
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['kind'];

// ---------------------------------------------------------------------------------------------------------------
// Markets

export const keyframeSchema = z.strictObject({
  /** Seconds since the scenario start. */
  atSec: offsetSec,
  /** Last trade = mid = mark price, in quote currency. */
  price: positive.optional(),
  /** (mark - index) / index; index = price / (1 + premium). */
  premium: finite.gt(-0.5).lt(0.5).optional(),
  /** Funding rate per interval as a fraction (0.0001 = 0.01%); positive means longs pay shorts. */
  fundingRate: finite.min(-0.1).max(0.1).optional(),
  /** Open interest in USD at the mark price. */
  openInterestUsd: nonNegative.optional(),
  /** Traded notional over the last 24 h, USD. */
  volume24hUsd: nonNegative.optional(),
  /** Resting USD within 1% of the mid on each side (shorthand for bidDepth1PctUsd and askDepth1PctUsd). */
  depth1PctUsd: nonNegative.optional(),
  /** Resting bids between mid x 0.99 and mid, USD. */
  bidDepth1PctUsd: nonNegative.optional(),
  /** Resting asks between mid and mid x 1.01, USD. */
  askDepth1PctUsd: nonNegative.optional(),
  /** Long accounts / short accounts. */
  longShortRatio: positive.optional(),
});
export type Keyframe = z.infer<typeof keyframeSchema>;

/** Cumulative depth within 0.5%, 2% and 5% of the mid, as multiples of the depth within 1%. */
export const depthShapeSchema = z
  .strictObject({
    within0_5Pct: positive.max(1).default(0.45),
    within2Pct: positive.min(1).default(1.8),
    within5Pct: positive.min(1).default(3.5),
  })
  .refine((shape) => shape.within2Pct <= shape.within5Pct, { message: 'within2Pct must not exceed within5Pct' });
export type DepthShape = z.infer<typeof depthShapeSchema>;

const positionSide = z.enum(['long', 'short']);

export const liquidationEventSchema = z.strictObject({
  atSec: offsetSec,
  /** The side of the position that was liquidated. */
  side: positionSide,
  sizeUsd: positive,
  /** Fill price; the market's price at that moment when absent. */
  price: positive.optional(),
});
export const liquidationBurstSchema = z
  .strictObject({
    fromSec: offsetSec,
    toSec: offsetSec,
    side: positionSide,
    /** Liquidations per second (scenario time), evenly spaced from fromSec. */
    perSecond: positive.max(1000),
    /** USD of each liquidation. */
    sizeUsd: positive,
    /** Each size is multiplied by a seeded factor in [1 - jitter, 1 + jitter]. */
    sizeJitter: z.number().min(0).max(0.9).default(0),
    /** Fill price of every liquidation; the market's price at each moment when absent. */
    price: positive.optional(),
  })
  .refine((burst) => burst.toSec > burst.fromSec, { message: 'toSec must be after fromSec' })
  .refine((burst) => (burst.toSec - burst.fromSec) * burst.perSecond <= 200_000, {
    message: 'a burst may hold at most 200,000 liquidations',
  });
export const liquidationSpecSchema = z.union([liquidationEventSchema, liquidationBurstSchema]);
export type LiquidationSpec = z.infer<typeof liquidationSpecSchema>;

const REQUIRED_AT_FIRST_KEYFRAME = ['price', 'fundingRate', 'openInterestUsd', 'volume24hUsd'] as const;

/**
 * Values a venue leaves blank for a market (a new listing, a market about to settle), each sent the way that venue
 * sends a missing number: Binance, Bybit and OKX `""` (Binance's nextFundingTime 0), Hyperliquid `null`. A venue
 * without the field ignores the blank (docs/scenario.md lists which field each blank empties per venue).
 */
export const MARKET_BLANKS = [
  'fundingRate',
  'nextFundingTime',
  'indexPrice',
  'openInterest',
  'openInterestValue',
  'premium',
  'midPrice',
  'impactPrices',
] as const;
export type MarketBlank = (typeof MARKET_BLANKS)[number];

export const marketSpecSchema = z
  .strictObject({
    /**
     * Base currency code as the venue spells it, e.g. BTC, or a bundle of the coin: `1000PEPE` (Binance, Bybit),
     * `SHIB1000` (Bybit), `kPEPE` (Hyperliquid's lower-case k, a thousand coins). Prices are per unit of this base.
     */
    base: z.string().regex(/^k?[A-Z0-9]{1,15}$/, 'upper-case letters and digits (Hyperliquid: a leading k allowed)'),
    /** Settlement (margin) currency; Hyperliquid markets settle in USDC. */
    settle: z.enum(['USDT', 'USDC']).default('USDT'),
    /** Quote currency; linear perpetuals quote in their settlement currency, so it defaults to and must equal settle. */
    quote: z.enum(['USDT', 'USDC']).optional(),
    /** Base units per contract. Only OKX lists contracts of another size (ctVal); elsewhere it must be 1. */
    contractSize: positive.optional(),
    /** Hours between funding settlements (Hyperliquid: 1). */
    fundingIntervalHours: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).optional(),
    maxLeverage: z.number().int().min(1).max(200).default(50),
    /** Price tick; derived from the first price (6 significant digits) when absent. */
    tickSize: positive.optional(),
    /** Quantity step in base units (OKX: in contracts); derived from the first price when absent. */
    qtyStep: positive.optional(),
    depthShape: depthShapeSchema.default({ within0_5Pct: 0.45, within2Pct: 1.8, within5Pct: 3.5 }),
    keyframes: z.array(keyframeSchema).min(1),
    liquidations: z.array(liquidationSpecSchema).default([]),
    /** Values the venue sends blank for this market (see MARKET_BLANKS). */
    blanks: z.array(z.enum(MARKET_BLANKS)).default([]),
  })
  .superRefine((market, ctx) => {
    if (market.quote !== undefined && market.quote !== market.settle) {
      ctx.addIssue({ code: 'custom', path: ['quote'], message: 'a linear perpetual quotes in its settle currency' });
    }
    for (let i = 1; i < market.keyframes.length; i++) {
      const previous = market.keyframes[i - 1];
      const current = market.keyframes[i];
      if (previous !== undefined && current !== undefined && current.atSec < previous.atSec) {
        ctx.addIssue({ code: 'custom', path: ['keyframes', i, 'atSec'], message: 'keyframes must be in time order' });
      }
    }
    const first = market.keyframes[0];
    if (first !== undefined) {
      for (const field of REQUIRED_AT_FIRST_KEYFRAME) {
        if (first[field] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['keyframes', 0, field],
            message: `the first keyframe must set ${field}`,
          });
        }
      }
      const hasDepth =
        first.depth1PctUsd !== undefined ||
        (first.bidDepth1PctUsd !== undefined && first.askDepth1PctUsd !== undefined);
      if (!hasDepth) {
        ctx.addIssue({
          code: 'custom',
          path: ['keyframes', 0],
          message: 'the first keyframe must set depth1PctUsd (or both bidDepth1PctUsd and askDepth1PctUsd)',
        });
      }
    }
  });
export type MarketSpec = z.infer<typeof marketSpecSchema>;

const range = (min: number, max: number) =>
  z
    .strictObject({ min: finite.default(min), max: finite.default(max) })
    .default({ min, max })
    .refine((r) => r.max >= r.min, { message: 'max must not be below min' });

/** Many seeded pseudo-random markets, for benchmarks. */
export const generateSpecSchema = z.strictObject({
  count: z.number().int().min(1).max(5000),
  /** Same seed, same markets; the venue id is mixed in so venues differ a little. */
  seed: z.number().int().default(1),
  /** Bases are `${prefix}${index}` with three or more digits: G001, G002, ... */
  prefix: z
    .string()
    .regex(/^[A-Z]{1,6}$/)
    .default('G'),
  settle: z.enum(['USDT', 'USDC']).default('USDT'),
  /** Prices are log-uniform in this range. */
  price: range(0.001, 1000),
  /** Open interest in USD: Pareto (heavy tail) with this minimum and shape, capped at max. */
  openInterestUsd: z
    .strictObject({
      min: positive.default(200_000),
      alpha: positive.default(1.1),
      max: positive.default(20_000_000_000),
    })
    .default({ min: 200_000, alpha: 1.1, max: 20_000_000_000 }),
  /** 24 h volume as a multiple of open interest, uniform in this range. */
  volumeToOpenInterest: range(0.5, 4),
  /** Depth within 1% per side as a fraction of open interest, uniform in this range. */
  depthToOpenInterest: range(0.002, 0.02),
  fundingRate: range(-0.0003, 0.0006),
  longShortRatio: range(0.6, 3),
  fundingIntervalHours: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).optional(),
  /**
   * A market-wide move applied to every generated market between fromSec and toSec, each market scaled by a
   * seeded beta in [0.5, 1.5]: price x (1 + beta x priceChange), open interest x (1 + beta x openInterestChange),
   * depth x (1 + beta x depthChange), clamped so nothing falls below 5% of its start.
   */
  move: z
    .strictObject({
      fromSec: offsetSec,
      toSec: offsetSec,
      priceChange: finite.min(-0.95).max(10).default(0),
      openInterestChange: finite.min(-0.95).max(10).default(0),
      depthChange: finite.min(-0.95).max(10).default(0),
      fundingRate: finite.min(-0.1).max(0.1).optional(),
    })
    .refine((m) => m.toSec > m.fromSec, { message: 'toSec must be after fromSec' })
    .optional(),
});
export type GenerateSpec = z.infer<typeof generateSpecSchema>;

export const venueSpecSchema = z.strictObject({
  markets: z.array(marketSpecSchema).default([]),
  generate: generateSpecSchema.optional(),
  /**
   * How the liquidation stream samples: keep `latest` (Binance, OKX: one per symbol per window) or `all` (Bybit
   * allLiquidation: every liquidation, batched per window). Defaults per venue: see docs/scenario.md.
   */
  liquidationSampling: z
    .strictObject({ windowMs: z.number().int().min(1).max(60_000), keep: z.enum(['latest', 'all']) })
    .optional(),
  /** Bybit only: largest page of instruments-info (to exercise ccxt's cursor pagination); 1000 (what ccxt asks) when absent. */
  pageSize: z.number().int().min(1).max(1000).optional(),
  /** OKX only: bases that also get an inverse swap (BASE-USD-SWAP, coin-margined) as the real venue lists them. */
  inverseSwaps: z.array(z.string().regex(/^[A-Z0-9]{1,15}$/)).optional(),
  /**
   * OKX only: on every liquidation-orders subscription, first resend up to this many of the latest liquidations the
   * venue already pushed (OKX has been reported to replay a backlog on connect). Default 0.
   */
  replayOnSubscribe: z.number().int().min(0).max(1000).default(0),
  /**
   * OKX only: the position mode of the liquidated accounts, which decides `posSide` in liquidation-orders: `net`
   * (posSide "net", the side follows from the order side), `longShort` (posSide "long"/"short"), or `mixed` (the
   * default: most net, every fourth second's liquidations long/short, as on the venue where most accounts are net).
   */
  positionMode: z.enum(['net', 'longShort', 'mixed']).optional(),
});
export type VenueSpec = z.infer<typeof venueSpecSchema>;

// ---------------------------------------------------------------------------------------------------------------
// What a backtest expects of the scenario (docs/scenario.md, "expect")

const baseCode = z.string().regex(/^[A-Z0-9]{1,15}$/, 'upper-case letters and digits');

/** One coin that must be hit: on each listed venue its market reaches warning and critical by these offsets. */
export const expectedHitSchema = z
  .strictObject({
    base: baseCode,
    /** Every venue where the coin crashes (its market there must reach the levels). */
    venues: z.array(exchangeIdSchema).min(1),
    /** Latest offset (seconds) at which warning must have been reached. */
    warningBySec: offsetSec,
    /** Latest offset at which critical must have been reached. */
    criticalBySec: offsetSec,
  })
  .refine((hit) => hit.criticalBySec >= hit.warningBySec, { message: 'criticalBySec must not be before warningBySec' });
export type ExpectedHit = z.infer<typeof expectedHitSchema>;

export const scenarioExpectSchema = z.discriminatedUnion('outcome', [
  z.strictObject({
    /** No market and not the market as a whole may reach warning at any pass. */
    outcome: z.literal('calm'),
    /** Tuning scenarios may shape the defaults; holdout ones only check them (docs/backtest.md). */
    split: z.enum(['tuning', 'holdout']),
    /** What a naive rule would mistake for a spiral here. */
    trap: z.string().min(1),
  }),
  z.strictObject({
    outcome: z.literal('spiral'),
    split: z.enum(['tuning', 'holdout']),
    hits: z.array(expectedHitSchema).min(1),
    /** Coins whose markets must stay below warning throughout (BTC in an alt-only crash). */
    quiet: z.array(baseCode).default([]),
  }),
]);
export type ScenarioExpect = z.infer<typeof scenarioExpectSchema>;

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    /** Where the figures come from (articles, data sets), for scenarios modelled on real events. */
    sources: z.array(z.string()).default([]),
    /** Scenario time at offset 0, ISO 8601 with a zone, e.g. 2025-10-10T20:50:00Z. */
    start: z.iso.datetime({ offset: true }),
    durationSec: positive,
    venues: z.strictObject({
      binanceusdm: venueSpecSchema.optional(),
      bybit: venueSpecSchema.optional(),
      okx: venueSpecSchema.optional(),
      hyperliquid: venueSpecSchema.optional(),
    }),
    faults: z.array(faultSpecSchema).default([]),
    /** What a backtest checks; scenarios without it are replayed but not judged. */
    expect: scenarioExpectSchema.optional(),
  })
  .superRefine((scenario, ctx) => {
    for (const [i, hit] of (scenario.expect?.outcome === 'spiral' ? scenario.expect.hits : []).entries()) {
      for (const venue of hit.venues) {
        const listed = scenario.venues[venue]?.markets.some((m) => m.base === hit.base) ?? false;
        if (!listed) {
          ctx.addIssue({
            code: 'custom',
            path: ['expect', 'hits', i, 'venues'],
            message: `${hit.base} is not listed on ${venue}`,
          });
        }
      }
      if (hit.criticalBySec > scenario.durationSec) {
        ctx.addIssue({ code: 'custom', path: ['expect', 'hits', i], message: 'deadline after the scenario ends' });
      }
    }
    for (const venue of EXCHANGE_IDS) {
      const spec = scenario.venues[venue];
      if (spec === undefined) continue;
      const seen = new Set<string>();
      spec.markets.forEach((market, i) => {
        const key = `${market.base}/${market.settle}`;
        if (seen.has(key)) {
          ctx.addIssue({ code: 'custom', path: ['venues', venue, 'markets', i], message: `${key} is listed twice` });
        }
        seen.add(key);
        if (venue !== 'hyperliquid' && market.base.startsWith('k')) {
          ctx.addIssue({
            code: 'custom',
            path: ['venues', venue, 'markets', i, 'base'],
            message: 'only Hyperliquid writes a thousand-bundle as a lower-case k (Binance and Bybit: 1000PEPE)',
          });
        }
        if (venue === 'hyperliquid' && market.settle !== 'USDC') {
          ctx.addIssue({
            code: 'custom',
            path: ['venues', venue, 'markets', i, 'settle'],
            message: 'Hyperliquid perpetuals settle in USDC',
          });
        }
        if (venue !== 'okx' && market.contractSize !== undefined && market.contractSize !== 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['venues', venue, 'markets', i, 'contractSize'],
            message: 'only OKX lists contracts of another size than 1 base unit',
          });
        }
        if (venue === 'hyperliquid' && market.fundingIntervalHours !== undefined && market.fundingIntervalHours !== 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['venues', venue, 'markets', i, 'fundingIntervalHours'],
            message: 'Hyperliquid pays funding hourly',
          });
        }
      });
      if (venue !== 'okx' && spec.inverseSwaps !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['venues', venue, 'inverseSwaps'],
          message: 'only OKX takes inverseSwaps',
        });
      }
      if (venue !== 'okx' && spec.positionMode !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['venues', venue, 'positionMode'],
          message: 'only OKX reports a position mode',
        });
      }
      if (venue !== 'okx' && spec.replayOnSubscribe > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['venues', venue, 'replayOnSubscribe'],
          message: 'only OKX replays liquidations on subscribe',
        });
      }
    }
  });

/** A validated scenario, defaults applied. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** A scenario as written in a file (defaults not yet applied). */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Validates a scenario; throws an Error listing every problem with its path. */
export function parseScenario(value: unknown, origin = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`${origin} is not a valid scenario:\n${problems.join('\n')}`);
}

/** Reads and validates a scenario JSON file. */
export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseScenario(json, path);
}

/** Scenario start as epoch ms. */
export function scenarioStartMs(scenario: Scenario): number {
  return Date.parse(scenario.start);
}

/** The venues a scenario lists, in the order of EXCHANGE_IDS. */
export function scenarioVenues(scenario: Scenario): ExchangeId[] {
  return EXCHANGE_IDS.filter((venue) => scenario.venues[venue] !== undefined);
}

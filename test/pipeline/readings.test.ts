// The risk loop's hand-over to the alert rules: what a market's reading says, and that a rendered alert says each
// thing once. The cycle is written out by hand, with the texts the engine produces, so that the test reads the
// duplication it guards against rather than whatever the engine's parameters give today.
import { describe, expect, it } from 'vitest';
import { decideAlerts } from '../../src/alerts/rules.js';
import { renderText } from '../../src/chat/text.js';
import { renderTelegramHtml } from '../../src/chat/telegram-html.js';
import { alertReasons, toReadings } from '../../src/pipeline/riskLoop.js';
import type { MarketAssessment } from '../../src/risk/assess.js';
import type { RiskCycle } from '../../src/risk/cycle.js';
import type { RegimeSignal } from '../../src/risk/regimes.js';
import { subscription } from '../chat/helpers.js';

const NOW = 1_764_115_200_000;

type Signal = Pick<RegimeSignal, 'name' | 'met' | 'text'>;
type Component = { component: string; points: number; text: string };

/** An unwinding market as the engine describes one: the regime's line repeats the signals it is made of. */
function unwinding(market: string, score: number, level: MarketAssessment['level']) {
  const signals: Signal[] = [
    { name: 'liquidationSurge', met: true, text: 'liquidations 56.3× the usual in 5 min' },
    { name: 'oiFalling', met: true, text: 'open interest -7.6% in 15 min' },
    { name: 'priceMoving', met: true, text: 'price -3.6% in 5 min' },
    { name: 'depthThinning', met: false, text: 'book at 80% of its usual depth' },
    { name: 'oiRising', met: false, text: 'open interest -2% in 1 h' },
    { name: 'fundingStretched', met: false, text: 'funding +8%/yr' },
    { name: 'nearDenseLevels', met: true, text: '$120M of long liquidation levels within 2% below the price' },
  ];
  const reasons: Component[] = [
    {
      component: 'liquidationSurge',
      points: 24,
      text: 'liquidations $10.3M in 5 min, 56.3× a normal rate for its open interest (100% longs)',
    },
    { component: 'priceStress', points: 14, text: 'price -3.6% in 5 min' },
    { component: 'liquidityThinness', points: 9, text: 'open interest 977× the depth within 2%; 0.53× daily volume' },
    { component: 'oiFlush', points: 0, text: 'no open-interest flush (-1% in 1 h)' },
    { component: 'basisStretch', points: 3, text: 'mark 0.1% below index' },
  ];
  const met = signals.filter((s) => s.met === true && s.name !== 'nearDenseLevels');
  return {
    market,
    level,
    score,
    crowdedSide: 'long',
    reasons,
    regime: { regime: 'unwinding', reason: `unwinding: ${met.map((s) => s.text).join('; ')}`, signals },
  } as unknown as MarketAssessment;
}

function cycle(markets: readonly MarketAssessment[]): RiskCycle {
  return {
    at: NOW,
    markets,
    marketWide: {
      level: 'elevated',
      score: 41,
      reason: 'market-wide 41 (elevated) over $27.9B of open interest',
      regimeCounts: { unwinding: markets.length, loaded: 0, quiet: 0 },
    },
    stress: { rows: [] },
    profiles: new Map(),
  } as unknown as RiskCycle;
}

/** Phrases of a rendered text (lines, cut at "; " and ", ") that occur more than once. */
function repeatedPhrases(text: string): string[] {
  const phrases = text
    .split(/\n|; |, /)
    .map((p) => p.replace(/^[•\s]+/, '').trim())
    .filter((p) => p.length >= 8);
  return phrases.filter((p, i) => phrases.indexOf(p) !== i);
}

describe('the readings the risk loop hands to the alert rules', () => {
  it('give the regime as a word and each of its signals once, through the component that measures it', () => {
    const [btc] = toReadings(cycle([unwinding('binanceusdm:BTC/USDT:USDT', 62, 'warning')]), new Map(), null);
    expect(btc?.regime).toBe('unwinding');
    expect(btc?.reasons).toEqual([
      'liquidations $10.3M in 5 min, 56.3× a normal rate for its open interest (100% longs)',
      'price -3.6% in 5 min',
      // Open interest falling backs the regime but its component gave no points: the signal says it.
      'open interest -7.6% in 15 min',
    ]);
    expect(btc?.reasons.some((r) => r.startsWith('unwinding:'))).toBe(false);
  });

  it('tell a signal no component measures by its own text', () => {
    const loaded = {
      reasons: [
        { component: 'leverageBuildUp', points: 20, text: 'open interest +18% in 4 h while price flat (+0.3%)' },
      ],
      regime: {
        regime: 'loaded',
        reason: 'loaded: open interest +18% in 4 h; $120M of long liquidation levels within 2% below the price',
        signals: [
          { name: 'oiRising', met: true, text: 'open interest +18% in 4 h' },
          { name: 'nearDenseLevels', met: true, text: '$120M of long liquidation levels within 2% below the price' },
        ],
      },
    } as unknown as MarketAssessment;
    expect(alertReasons(loaded)).toEqual([
      'open interest +18% in 4 h while price flat (+0.3%)',
      '$120M of long liquidation levels within 2% below the price',
    ]);
  });

  it('say no reason text twice in a rendered alert of three venues', () => {
    const markets = [
      unwinding('bybit:BTC/USDT:USDT', 70, 'critical'),
      unwinding('binanceusdm:BTC/USDT:USDT', 62, 'warning'),
      unwinding('okx:BTC/USDT:USDT', 58, 'warning'),
    ];
    const readings = toReadings(cycle(markets), new Map(), null);
    const alerts = decideAlerts({ readings, subscriptions: [subscription()], lastAlerts: [], now: NOW });
    expect(alerts).toHaveLength(1);
    const reply = alerts[0]!.reply;
    for (const text of [renderText(reply), renderTelegramHtml(reply).join('\n')]) {
      expect(repeatedPhrases(text)).toEqual([]);
      expect(text.split('price -3.6% in 5 min')).toHaveLength(2);
      expect(text.split('56.3×')).toHaveLength(2);
    }
    expect(reply.body.split('\n')[0]).toBe(
      'BTC: CRITICAL on Bybit (score 70, unwinding); WARNING on Binance (62), OKX (58)',
    );
  });
});

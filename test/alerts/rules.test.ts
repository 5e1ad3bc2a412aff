import { describe, expect, it } from 'vitest';
import { coinKey, decideAlerts, destinationOf, lastAlertsAfter, rememberLevels } from '../../src/alerts/rules.js';
import {
  MARKET_WIDE,
  type Alert,
  type CoinLevelsSeen,
  type LastAlert,
  type MarketReading,
} from '../../src/alerts/types.js';
import { renderDiscordEmbed } from '../../src/chat/discord-embed.js';
import { renderTelegramHtml } from '../../src/chat/telegram-html.js';
import { renderText } from '../../src/chat/text.js';
import type { Subscription } from '../../src/domain/ports.js';
import { reading, subscription } from '../chat/helpers.js';

const NOW = 1_764_115_200_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const BTC = {
  binance: 'binanceusdm:BTC/USDT:USDT',
  bybit: 'bybit:BTC/USDT:USDT',
  okx: 'okx:BTC/USDT:USDT',
  hyperliquid: 'hyperliquid:BTC/USDC:USDC',
} as const;

/** The cycles of a run, each decided with the last alerts the previous ones left, as the outbox keeps them. */
function run(subscriptions: readonly Subscription[]) {
  const last = new Map<string, LastAlert>();
  let seen: CoinLevelsSeen = new Map();
  return (readings: readonly MarketReading[], now: number, options?: { digestThreshold: number }): Alert[] => {
    const alerts = decideAlerts({ readings, subscriptions, lastAlerts: [...last.values()], now, seen, options });
    for (const record of alerts.flatMap((a) => lastAlertsAfter(a, now)))
      last.set(`${record.destination}|${record.market}`, record);
    seen = rememberLevels(seen, readings, now);
    return alerts;
  };
}

/** BTC on every venue: `levels` gives each venue's level now and the one before. */
function btc(levels: Partial<Record<keyof typeof BTC, [now: MarketReading['level'], before: MarketReading['level']]>>) {
  const scores = { calm: 10, elevated: 40, warning: 65, critical: 85 };
  return (Object.keys(BTC) as (keyof typeof BTC)[]).map((venue, i) => {
    const [level, previousLevel] = levels[venue] ?? ['calm', 'calm'];
    return reading({ market: BTC[venue], level, previousLevel, score: scores[level] - i });
  });
}

describe('the alert rules', () => {
  it('fire when a market level rises, for subscriptions whose minimum level it reaches', () => {
    const warningUp = subscription({ minLevel: 'warning' });
    const criticalOnly = subscription({ minLevel: 'critical' });
    const [alert, ...rest] = decideAlerts({
      readings: [reading()],
      subscriptions: [warningUp, criticalOnly],
      lastAlerts: [],
      now: NOW,
    });
    expect(rest).toEqual([]);
    expect(alert?.kind).toBe('rise');
    expect(alert?.destinations).toEqual([warningUp]);
  });

  it('stay quiet when the level does not rise', () => {
    const alerts = decideAlerts({
      readings: [
        reading({ level: 'warning', previousLevel: 'warning' }),
        reading({ level: 'elevated', previousLevel: 'warning' }),
      ],
      subscriptions: [subscription()],
      lastAlerts: [],
      now: NOW,
    });
    expect(alerts).toEqual([]);
  });

  it('hold back a repeat of the same level within the cooldown, and let it out after', () => {
    const s = subscription();
    const last = [
      { destination: destinationOf(s), market: coinKey('BTC'), level: 'warning' as const, at: NOW - HOUR / 2 },
    ];
    expect(decideAlerts({ readings: [reading()], subscriptions: [s], lastAlerts: last, now: NOW })).toEqual([]);
    const later = decideAlerts({ readings: [reading()], subscriptions: [s], lastAlerts: last, now: NOW + HOUR });
    expect(later).toHaveLength(1);
  });

  it('always send an escalation, even within the cooldown', () => {
    const s = subscription();
    const last = [
      { destination: destinationOf(s), market: coinKey('BTC'), level: 'warning' as const, at: NOW - MINUTE },
    ];
    const [alert] = decideAlerts({
      readings: [reading({ level: 'critical', previousLevel: 'warning' })],
      subscriptions: [s],
      lastAlerts: last,
      now: NOW,
    });
    expect(alert?.kind).toBe('escalation');
  });

  it('count a cooldown stored per market, from before alerts were grouped by coin, for its coin', () => {
    const s = subscription();
    const last = [{ destination: destinationOf(s), market: BTC.binance, level: 'warning' as const, at: NOW - MINUTE }];
    const readings = btc({ bybit: ['warning', 'elevated'] });
    expect(decideAlerts({ readings, subscriptions: [s], lastAlerts: last, now: NOW })).toEqual([]);
  });

  it('give one alert when three venues of BTC rise to warning in one pass', () => {
    const s = subscription();
    const alerts = run([s])(
      btc({ binance: ['warning', 'elevated'], bybit: ['warning', 'elevated'], okx: ['warning', 'calm'] }),
      NOW,
    );
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({ kind: 'rise', level: 'warning', market: BTC.binance, destinations: [s] });
    expect(alert?.id).toBe(`rise:coin:BTC:warning:${NOW}`);
    expect(alert?.markets.map((m) => m.market)).toEqual([BTC.binance, BTC.bybit, BTC.okx]);
    expect(alert?.reply.title).toBe('BTC: warning (rising)');
    expect(alert?.reply.body.split('\n')[0]).toBe('BTC: WARNING on Binance (score 65, loaded), Bybit (64), OKX (63)');
    expect(lastAlertsAfter(alert!, NOW)).toEqual([
      { destination: destinationOf(s), market: 'coin:BTC', level: 'warning', at: NOW },
    ]);
  });

  it('send nothing when a fourth venue of the coin reaches warning ten minutes later', () => {
    const cycle = run([subscription()]);
    cycle(btc({ binance: ['warning', 'elevated'], bybit: ['warning', 'elevated'], okx: ['warning', 'calm'] }), NOW);
    const later = btc({
      binance: ['warning', 'warning'],
      bybit: ['warning', 'warning'],
      okx: ['warning', 'warning'],
      hyperliquid: ['warning', 'elevated'],
    });
    expect(cycle(later, NOW + 10 * MINUTE)).toEqual([]);
  });

  it('send one escalation when a venue of the coin reaches critical, naming the others with their scores', () => {
    const cycle = run([subscription()]);
    cycle(btc({ binance: ['warning', 'elevated'], bybit: ['warning', 'elevated'], okx: ['warning', 'calm'] }), NOW);
    const alerts = cycle(
      btc({
        binance: ['warning', 'warning'],
        bybit: ['warning', 'warning'],
        okx: ['warning', 'warning'],
        hyperliquid: ['critical', 'warning'],
      }),
      NOW + 20 * MINUTE,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'escalation', level: 'critical', market: BTC.hyperliquid });
    expect(alerts[0]?.reply.body.split('\n')[0]).toBe(
      'BTC: CRITICAL on Hyperliquid (score 82, loaded); WARNING on Binance (65), Bybit (64), OKX (63)',
    );
    expect(alerts[0]?.reply.body).toContain('Why (Hyperliquid):');
    // Critical again on another venue within the cooldown is no news.
    const again = btc({
      binance: ['critical', 'warning'],
      bybit: ['warning', 'warning'],
      okx: ['warning', 'warning'],
      hyperliquid: ['critical', 'critical'],
    });
    expect(cycle(again, NOW + 30 * MINUTE)).toEqual([]);
  });

  it('send one all clear for the coin once all its markets have been calm or elevated for half an hour', () => {
    const alerted = subscription();
    const notAlerted = subscription({ minLevel: 'critical', markets: ['ETH'] });
    const cycle = run([alerted, notAlerted]);
    cycle(btc({ binance: ['critical', 'warning'], bybit: ['warning', 'elevated'] }), NOW);
    // One market still at warning: not clear yet.
    expect(cycle(btc({ binance: ['elevated', 'critical'], bybit: ['warning', 'warning'] }), NOW + MINUTE)).toEqual([]);
    // All below warning, but only just: a dip, not yet an all clear.
    const calmer = btc({ binance: ['elevated', 'elevated'], bybit: ['elevated', 'warning'] });
    expect(cycle(calmer, NOW + 2 * MINUTE)).toEqual([]);
    expect(cycle(calmer, NOW + 20 * MINUTE)).toEqual([]);
    const alerts = cycle(calmer, NOW + 31 * MINUTE);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'allClear', level: 'elevated', destinations: [alerted] });
    expect(alerts[0]?.reply.title).toBe('BTC: all clear');
    expect(alerts[0]?.reply.body).toBe(
      'BTC fell back from CRITICAL: ELEVATED on Binance (score 40, loaded), Bybit (39); CALM on OKX (8), Hyperliquid (7).',
    );
    // Said once.
    expect(cycle(btc({}), NOW + 32 * MINUTE)).toEqual([]);
  });

  it('hold back a coin back at its level after a dip until it has been below it for the cooldown', () => {
    const cycle = run([subscription()]);
    const kinds = (alerts: readonly Alert[]) => alerts.map((a) => `${a.kind} ${a.level}`);
    expect(kinds(cycle(btc({ binance: ['critical', 'warning'] }), NOW))).toEqual(['rise critical']);
    // It flaps between critical and warning for four hours: each return to critical within an hour of the last.
    for (let halfHours = 1; halfHours <= 8; halfHours++) {
      const at = NOW + halfHours * 30 * MINUTE;
      expect(cycle(btc({ binance: ['warning', 'critical'] }), at - 10 * MINUTE)).toEqual([]);
      expect(cycle(btc({ binance: ['critical', 'warning'] }), at)).toEqual([]);
    }
    // An hour and more below critical, then critical again: news.
    expect(cycle(btc({ binance: ['warning', 'critical'] }), NOW + 5 * HOUR)).toEqual([]);
    expect(kinds(cycle(btc({ binance: ['critical', 'warning'] }), NOW + 6 * HOUR + MINUTE))).toEqual(['rise critical']);
  });

  it('let a destination subscribed to one market key hear only that market', () => {
    const keyOnly = subscription({ markets: [BTC.bybit] });
    const byBase = subscription({ markets: ['BTC'] });
    const cycle = run([keyOnly, byBase]);
    const alerts = cycle(btc({ binance: ['warning', 'elevated'], bybit: ['warning', 'elevated'] }), NOW);
    const forKey = alerts.filter((a) => a.destinations.includes(keyOnly));
    const forBase = alerts.filter((a) => a.destinations.includes(byBase));
    expect(forKey.map((a) => a.markets)).toEqual([[{ market: BTC.bybit, level: 'warning' }]]);
    expect(forKey[0]?.reply.body.split('\n')[0]).toBe('BTC: WARNING on Bybit (score 64, loaded)');
    expect(forBase.map((a) => a.markets.map((m) => m.market))).toEqual([[BTC.binance, BTC.bybit]]);
    // A rise on a market it does not follow says nothing to it, and the coin cooldown holds for the other.
    const later = cycle(
      btc({ binance: ['warning', 'warning'], bybit: ['warning', 'warning'], okx: ['critical', 'warning'] }),
      NOW + 10 * MINUTE,
    );
    expect(later.flatMap((a) => a.destinations)).toEqual([byBase]);
  });

  it('count coins, not markets, for the digest, listing each coin by its levels on each venue', () => {
    const s = subscription({ minLevel: 'elevated' });
    const coins = ['SOL', 'ETH', 'XRP', 'DOGE', 'ADA'];
    const readings = coins.flatMap((coin, i) =>
      ['binanceusdm', 'bybit'].map((venue, j) =>
        reading({
          market: `${venue}:${coin}/USDT:USDT`,
          level: coin === 'SOL' && venue === 'bybit' ? 'critical' : 'warning',
          score: 80 - i * 2 - j,
        }),
      ),
    );
    // Ten markets of four coins: no digest.
    const fewer = decideAlerts({
      readings: readings.filter((r) => !r.market.includes('ADA')),
      subscriptions: [s],
      lastAlerts: [],
      now: NOW,
      options: { digestThreshold: 5 },
    });
    expect(fewer.map((a) => a.kind)).toEqual(['rise', 'rise', 'rise', 'rise']);
    const alerts = decideAlerts({
      readings: [...readings, reading({ market: MARKET_WIDE, level: 'warning', score: 61 })],
      subscriptions: [s],
      lastAlerts: [],
      now: NOW,
      options: { digestThreshold: 5 },
    });
    expect(alerts.map((a) => a.kind)).toEqual(['digest', 'rise']);
    const [digest, wide] = alerts;
    expect(digest).toMatchObject({ level: 'critical', market: MARKET_WIDE });
    expect(digest?.id).toBe(`digest:SOL,ETH,XRP,DOGE,ADA:${NOW}`);
    expect(digest?.reply.title).toBe('Market-wide: 5 coins rising');
    const lines = digest?.reply.body.split('\n') ?? [];
    expect(lines[0]).toBe('5 coins turned up at once.');
    expect(lines[2]).toBe('• SOL: CRITICAL on Bybit (score 79, loaded); WARNING on Binance (80)');
    expect(lines[3]).toBe('• ETH: WARNING on Binance (score 78, loaded), Bybit (77)');
    expect(lines).toContain('Why (SOL on Bybit):');
    expect(lastAlertsAfter(digest!, NOW).map((r) => `${r.market} ${r.level}`)).toEqual([
      'coin:SOL critical',
      'coin:ETH warning',
      'coin:XRP warning',
      'coin:DOGE warning',
      'coin:ADA warning',
    ]);
    // The whole market's reading stays its own alert.
    expect(wide).toMatchObject({ market: MARKET_WIDE, coins: [{ coin: MARKET_WIDE, level: 'warning' }] });
    expect(wide?.reply.body.split('\n')[0]).toBe('The whole market: WARNING (score 61, loaded)');
  });

  it('select destinations by market, regime and pause', () => {
    const btcOnly = subscription({ markets: ['BTC'] });
    const eth = subscription({ markets: ['ETH'] });
    const unwindingOnly = subscription({ regimes: ['unwinding'] });
    const paused = subscription({ paused: true });
    const [alert] = decideAlerts({
      readings: [reading()],
      subscriptions: [btcOnly, eth, unwindingOnly, paused],
      lastAlerts: [],
      now: NOW,
    });
    expect(alert?.destinations).toEqual([btcOnly]);
  });

  it('say first one line a trader can act on, then reasons, cascade and glossary pointers', () => {
    const [alert] = decideAlerts({ readings: [reading()], subscriptions: [subscription()], lastAlerts: [], now: NOW });
    const lines = alert?.reply.body.split('\n') ?? [];
    expect(lines[0]).toBe('BTC: WARNING on Binance (score 72, loaded)');
    expect(lines).toContain('• Funding is at the 99th percentile.');
    expect(lines.at(-1)).toBe('Cascade estimate: a 3% drop would liquidate about $420M of longs');
    expect(alert?.reply.links.map((l) => l.command)).toContain('term open-interest');
    expect(renderTelegramHtml(alert!.reply)[0]).toContain('/term open-interest');
    expect(renderDiscordEmbed(alert!.reply).description).toContain('`/term open-interest`');
  });

  it('say no reason twice in a rendered alert, even when a market lists one twice', () => {
    const reasons = ['liquidations $40M in 5 min, 9× the usual (80% longs)', 'price -4% in 5 min'];
    const readings = btc({ binance: ['critical', 'warning'], bybit: ['warning', 'elevated'] }).map((r) => ({
      ...r,
      regime: 'unwinding' as const,
      reasons: [...reasons, reasons[1] as string],
    }));
    const [alert] = decideAlerts({ readings, subscriptions: [subscription()], lastAlerts: [], now: NOW });
    const text = renderText(alert!.reply);
    for (const reason of reasons) expect(text.split(reason)).toHaveLength(2);
    expect(text.split('Cascade estimate')).toHaveLength(2);
  });

  describe('on a normal day of many coins', () => {
    // Twelve coins of $65.2B: the two smallest hold under 1% of the open interest.
    const sizes: [coin: string, openInterestUsd: number][] = [
      ['BTC', 30e9],
      ['ETH', 20e9],
      ['SOL', 5e9],
      ['XRP', 3e9],
      ['DOGE', 2e9],
      ['BNB', 1.5e9],
      ['ADA', 1e9],
      ['SUI', 0.9e9],
      ['LINK', 0.8e9],
      ['AVAX', 0.7e9],
      ['WIF', 0.3e9],
      ['KAS', 0.1e9],
    ];
    /** Every coin calm on Binance but `coin`, which is at `level` (and was at `before`). */
    const day = (coin: string, level: MarketReading['level'], before: MarketReading['level']): MarketReading[] =>
      sizes.map(([base, openInterestUsd]) =>
        reading({
          market: `binanceusdm:${base}/USDT:USDT`,
          openInterestUsd,
          ...(base === coin ? { level, previousLevel: before } : { level: 'calm', previousLevel: 'calm', score: 10 }),
        }),
      );
    /** A small coin's squeeze: warning, critical, back to calm, then critical again some hours later. */
    const squeeze = (coin: string, subscriptions: readonly Subscription[]) => {
      const next = run(subscriptions);
      return [
        next(day(coin, 'warning', 'elevated'), NOW),
        next(day(coin, 'critical', 'warning'), NOW + 20 * MINUTE),
        next(day(coin, 'calm', 'critical'), NOW + 3 * HOUR),
        next(day(coin, 'critical', 'warning'), NOW + 4 * HOUR),
        next(day(coin, 'calm', 'critical'), NOW + 7 * HOUR),
        next(day(coin, 'critical', 'warning'), NOW + 10 * HOUR),
      ].map((alerts) => alerts.map((a) => `${a.kind} ${a.coins.map((c) => `${c.coin}=${c.level}`).join(',')}`));
    };

    it('tell a subscription of every market of a small coin only when it turns critical, once in six hours', () => {
      const everything = subscription({ minLevel: 'warning' });
      expect(squeeze('KAS', [everything])).toEqual([[], ['rise KAS=critical'], [], [], [], ['rise KAS=critical']]);
    });

    it('tell the same subscription every level and the all clear of a coin holding 1% of open interest or more', () => {
      const everything = subscription({ minLevel: 'warning' });
      expect(squeeze('AVAX', [everything])).toEqual([
        ['rise AVAX=warning'],
        ['escalation AVAX=critical'],
        ['allClear AVAX=calm'],
        ['rise AVAX=critical'],
        ['allClear AVAX=calm'],
        ['rise AVAX=critical'],
      ]);
    });

    it('tell a subscription naming a small coin every level of it', () => {
      const named = subscription({ minLevel: 'warning', markets: ['KAS'] });
      expect(squeeze('KAS', [named])[0]).toEqual(['rise KAS=warning']);
      expect(squeeze('KAS', [named])[2]).toEqual(['allClear KAS=calm']);
    });

    it('count a coin of unknown size among the large ones: missing data never silences an alert', () => {
      const readings = day('KAS', 'warning', 'elevated').map((r) =>
        r.market.includes('KAS') ? { ...r, openInterestUsd: null } : r,
      );
      const alerts = decideAlerts({ readings, subscriptions: [subscription()], lastAlerts: [], now: NOW });
      expect(alerts.map((a) => a.coins[0]?.coin)).toEqual(['KAS']);
    });
  });

  it('give the same alert the same id when the cycle is decided twice', () => {
    const input = { readings: [reading()], subscriptions: [subscription()], lastAlerts: [], now: NOW };
    expect(decideAlerts(input)[0]?.id).toBe(decideAlerts(input)[0]?.id);
  });
});

describe('the alert rules, grouping coins across venue bundle prefixes', () => {
  const PEPE = {
    binance: 'binanceusdm:1000PEPE/USDT:USDT',
    okx: 'okx:PEPE/USDT:USDT',
    hyperliquid: 'hyperliquid:kPEPE/USDC:USDC',
  } as const;
  const rising = (market: string, score = 70) =>
    reading({ market, level: 'warning', previousLevel: 'elevated', score });

  it("give one PEPE alert for Binance's 1000PEPE, OKX's PEPE and Hyperliquid's kPEPE", () => {
    const s = subscription();
    const alerts = run([s])([rising(PEPE.binance, 72), rising(PEPE.okx, 71), rising(PEPE.hyperliquid)], NOW);
    expect(alerts.map((a) => a.coins)).toEqual([[{ coin: 'PEPE', level: 'warning' }]]);
    expect(alerts[0]?.markets.map((m) => m.market)).toEqual([PEPE.binance, PEPE.okx, PEPE.hyperliquid]);
    expect(alerts[0]?.id).toBe(`rise:coin:PEPE:warning:${NOW}`);
  });

  it('keep KSM and SM, KAS and AS, KAVA and AVA apart', () => {
    const markets = ['KSM', 'SM', 'KAS', 'AS', 'KAVA', 'AVA'].map((base) => `binanceusdm:${base}/USDT:USDT`);
    const alerts = run([subscription()])(
      markets.map((m) => rising(m)),
      NOW,
      { digestThreshold: 10 },
    );
    expect(alerts.map((a) => a.coins.map((c) => c.coin))).toEqual([
      ['KSM'],
      ['SM'],
      ['KAS'],
      ['AS'],
      ['KAVA'],
      ['AVA'],
    ]);
  });

  it("let a subscription naming PEPE hear Binance's 1000PEPE, and one naming KSM not hear SM", () => {
    const pepe = subscription({ markets: ['PEPE'] });
    const ksm = subscription({ markets: ['KSM'] });
    const alerts = run([pepe, ksm])([rising(PEPE.binance), rising('okx:SM/USDT:USDT')], NOW);
    expect(alerts.map((a) => ({ coin: a.coins[0]?.coin, destinations: a.destinations }))).toEqual([
      { coin: 'PEPE', destinations: [pepe] },
    ]);
  });

  it('count a cooldown stored under coin:1000PEPE, from before bundles were grouped, for PEPE', () => {
    const s = subscription();
    const last = [
      { destination: destinationOf(s), market: 'coin:1000PEPE', level: 'warning' as const, at: NOW - MINUTE },
    ];
    expect(decideAlerts({ readings: [rising(PEPE.okx)], subscriptions: [s], lastAlerts: last, now: NOW })).toEqual([]);
  });
});

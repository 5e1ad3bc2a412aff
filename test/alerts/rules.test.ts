import { describe, expect, it } from 'vitest';
import { decideAlerts, destinationOf, lastAlertsAfter } from '../../src/alerts/rules.js';
import { renderDiscordEmbed } from '../../src/chat/discord-embed.js';
import { renderTelegramHtml } from '../../src/chat/telegram-html.js';
import { reading, subscription } from '../chat/helpers.js';

const NOW = 1_764_115_200_000;
const HOUR = 3_600_000;

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
      { destination: destinationOf(s), market: reading().market, level: 'warning' as const, at: NOW - HOUR / 2 },
    ];
    expect(decideAlerts({ readings: [reading()], subscriptions: [s], lastAlerts: last, now: NOW })).toEqual([]);
    const later = decideAlerts({ readings: [reading()], subscriptions: [s], lastAlerts: last, now: NOW + HOUR });
    expect(later).toHaveLength(1);
  });

  it('always send an escalation, even within the cooldown', () => {
    const s = subscription();
    const last = [
      { destination: destinationOf(s), market: reading().market, level: 'warning' as const, at: NOW - 60_000 },
    ];
    const [alert] = decideAlerts({
      readings: [reading({ level: 'critical', previousLevel: 'warning' })],
      subscriptions: [s],
      lastAlerts: last,
      now: NOW,
    });
    expect(alert?.kind).toBe('escalation');
  });

  it('send all clear to those alerted critical when the market falls back to calm or elevated', () => {
    const alerted = subscription();
    const notAlerted = subscription();
    const last = [
      { destination: destinationOf(alerted), market: reading().market, level: 'critical' as const, at: NOW - HOUR },
    ];
    const [alert] = decideAlerts({
      readings: [reading({ level: 'elevated', previousLevel: 'critical' })],
      subscriptions: [alerted, notAlerted],
      lastAlerts: last,
      now: NOW,
    });
    expect(alert?.kind).toBe('allClear');
    expect(alert?.destinations).toEqual([alerted]);
  });

  it('send one market-wide digest instead of many alerts when many markets turn at once', () => {
    const s = subscription({ minLevel: 'elevated' });
    const markets = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA'].map((b) =>
      reading({ market: `bybit:${b}/USDT:USDT`, level: b === 'SOL' ? 'critical' : 'warning' }),
    );
    const alerts = decideAlerts({
      readings: markets,
      subscriptions: [s],
      lastAlerts: [],
      now: NOW,
      options: { digestThreshold: 5 },
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.kind).toBe('digest');
    expect(alerts[0]?.level).toBe('critical');
    expect(alerts[0]?.reply.body.split('\n')[2]).toMatch(/^• SOL\/USDT:USDT on bybit: CRITICAL/);
    const records = lastAlertsAfter(alerts[0]!, NOW);
    expect(records).toHaveLength(6);
    expect(records.find((r) => r.market === 'bybit:SOL/USDT:USDT')?.level).toBe('critical');
  });

  it('select destinations by market, regime and pause', () => {
    const btc = subscription({ markets: ['BTC'] });
    const eth = subscription({ markets: ['ETH'] });
    const unwindingOnly = subscription({ regimes: ['unwinding'] });
    const paused = subscription({ paused: true });
    const [alert] = decideAlerts({
      readings: [reading()],
      subscriptions: [btc, eth, unwindingOnly, paused],
      lastAlerts: [],
      now: NOW,
    });
    expect(alert?.destinations).toEqual([btc]);
  });

  it('say first one line a trader can act on, then reasons, cascade and glossary pointers', () => {
    const [alert] = decideAlerts({ readings: [reading()], subscriptions: [subscription()], lastAlerts: [], now: NOW });
    const lines = alert?.reply.body.split('\n') ?? [];
    expect(lines[0]).toBe('BTC/USDT:USDT on binanceusdm: WARNING (was elevated), regime loaded, score 72');
    expect(lines).toContain('• Funding is at the 99th percentile.');
    expect(lines.at(-1)).toBe('Cascade estimate: a 3% drop would liquidate about $420M of longs');
    expect(alert?.reply.links.map((l) => l.command)).toContain('term open-interest');
    expect(renderTelegramHtml(alert!.reply)[0]).toContain('/term open-interest');
    expect(renderDiscordEmbed(alert!.reply).description).toContain('`/term open-interest`');
  });

  it('give the same alert the same id when the cycle is decided twice', () => {
    const input = { readings: [reading()], subscriptions: [subscription()], lastAlerts: [], now: NOW };
    expect(decideAlerts(input)[0]?.id).toBe(decideAlerts(input)[0]?.id);
  });
});

import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig, secretValues } from '../../src/config/env.js';
import { problemsOf } from './problems.js';

describe('loadConfig', () => {
  it('gives working defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.EXCHANGES).toEqual(['binanceusdm', 'bybit', 'okx', 'hyperliquid']);
    expect(config.SYMBOLS).toEqual([]);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.RETENTION_DAYS).toBe(7);
    expect(config.FAST_POLL_CRON).toBe('*/30 * * * * *');
    expect(config.EXCHANGE_ORIGIN_OVERRIDES).toEqual({});
    expect(config.DISCORD_TOKEN).toBeUndefined();
  });

  it('accepts the documented example file as it is', () => {
    const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
    expect(() => loadConfig(example)).not.toThrow();
    expect(loadConfig(example).SLOW_POLL_CRON).toBe('0 */15 * * * *');
  });

  it('documents every setting in .env.example', () => {
    const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
    expect(Object.keys(example).sort()).toEqual(Object.keys(loadConfig({})).sort());
  });

  it('parses lists, numbers and the origin overrides', () => {
    const config = loadConfig({
      EXCHANGES: ' okx , bybit ',
      SYMBOLS: 'BTC,ETHUSDT',
      MIN_OPEN_INTEREST_USD: '2500000',
      EXCHANGE_ORIGIN_OVERRIDES: '{"okx":"http://127.0.0.1:8900/okx"}',
      HTTP_PORT: '9464',
    });
    expect(config.EXCHANGES).toEqual(['okx', 'bybit']);
    expect(config.SYMBOLS).toEqual(['BTC', 'ETHUSDT']);
    expect(config.MIN_OPEN_INTEREST_USD).toBe(2_500_000);
    expect(config.EXCHANGE_ORIGIN_OVERRIDES).toEqual({ okx: 'http://127.0.0.1:8900/okx' });
    expect(config.HTTP_PORT).toBe(9464);
  });

  it('lists every problem at once, naming each variable', () => {
    const problems = problemsOf({
      EXCHANGES: 'binanceusdm,kraken',
      DEPTH_TOP_N: '-3',
      RETENTION_DAYS: 'seven',
      FAST_POLL_CRON: 'every minute',
      EXCHANGE_ORIGIN_OVERRIDES: '{not json',
      LOG_LEVEL: 'loud',
      DISCORD_TOKEN: 'some-token',
    });
    const keys = problems.map((p) => p.split(/[ :]/)[0]);
    expect(keys).toEqual(
      [
        'EXCHANGES',
        'DEPTH_TOP_N',
        'FAST_POLL_CRON',
        'EXCHANGE_ORIGIN_OVERRIDES',
        'RETENTION_DAYS',
        'LOG_LEVEL',
        'DISCORD_APPLICATION_ID',
      ].sort((a, b) => keys.indexOf(a) - keys.indexOf(b)),
    );
    expect(problems).toHaveLength(7);
    expect(problems.find((p) => p.startsWith('EXCHANGES'))).toMatch(/item 2/);
  });

  it('never repeats a secret in its messages', () => {
    const token = '12345:not a valid token';
    let message = '';
    try {
      loadConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/hook' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/TELEGRAM_BOT_TOKEN/);
    expect(message).toMatch(/TELEGRAM_WEBHOOK_SECRET is required/);
    expect(message).not.toContain('not a valid token');
  });

  it('requires a webhook secret with a webhook URL', () => {
    const problems = problemsOf({
      TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/hook',
    });
    expect(problems).toEqual([expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET is required/)]);
  });
});

describe('describeConfig', () => {
  it('shows secrets as set or not set, never their value', () => {
    const lines = describeConfig(
      loadConfig({ DISCORD_TOKEN: 'very-secret-discord-token', DISCORD_APPLICATION_ID: '123456789012345678' }),
    );
    expect(lines).toContain('DISCORD_TOKEN=set');
    expect(lines).toContain('TELEGRAM_BOT_TOKEN=not set');
    expect(lines.join('\n')).not.toContain('very-secret-discord-token');
  });
});

describe('DATABASE_URL', () => {
  const url = 'postgres://bot:s3cr%40t-pass@db.internal:5432/spiralwatch';

  it('is unset by default, which keeps the bot on SQLite', () => {
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: '  ' }).DATABASE_URL).toBeUndefined();
  });

  it('accepts postgres:// and postgresql:// URLs', () => {
    expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/spiralwatch' }).DATABASE_URL).toBe(
      'postgresql://db/spiralwatch',
    );
  });

  it('refuses another scheme, a missing database or no URL at all, without quoting the value', () => {
    for (const value of ['mysql://bot:hunter22@db/x', 'postgres://bot:hunter22@db', 'hunter22 is no url']) {
      const problems = problemsOf({ DATABASE_URL: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
      expect(problems[0]).not.toContain('hunter22');
    }
  });

  it('is shown at start-up with its password masked', () => {
    const lines = describeConfig(loadConfig({ DATABASE_URL: url }));
    expect(lines).toContain('DATABASE_URL=postgres://bot:***@db.internal:5432/spiralwatch');
    expect(lines.join('\n')).not.toContain('s3cr');
  });

  it('hands its decoded password to the logger as a secret to mask', () => {
    expect(secretValues(loadConfig({ DATABASE_URL: url }))).toContain('s3cr@t-pass');
    expect(secretValues(loadConfig({})).filter((value) => value !== undefined)).toEqual([]);
  });
});

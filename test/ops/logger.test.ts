// The structured logger: LOG_LEVEL is honoured, and tokens never reach a line, whether passed in a secret-named
// field, inside an error's message, in the message itself or nested in a field.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger, type LogLevel } from '../../src/log/logger.js';

const TELEGRAM = '7000000002:AAFakeTokenForLoggerTestsOnly_abcdefgh';
const DISCORD = 'MTMwMDAwMDAwMDAwMDAwMDA0Mg.GfakeX.discord-token-for-logger-tests';

function recorder(level: LogLevel, format: 'json' | 'pretty') {
  const lines: string[] = [];
  const log = createLogger({
    level,
    format,
    write: (line) => lines.push(line),
    now: () => 0,
    secrets: [TELEGRAM, DISCORD],
  });
  return { log, lines };
}

describe('the logger', () => {
  it.each(['json', 'pretty'] as const)('masks tokens in fields, error messages and message strings (%s)', (format) => {
    const { log, lines } = recorder('debug', format);
    log.error('telegram call failed', { token: TELEGRAM, botToken: 'whatever-value-1234' });
    log.warn(`fetch https://api.telegram.org/bot${TELEGRAM}/getMe failed`);
    log.error('send failed', { error: new Error(`401 Unauthorized for bot${TELEGRAM}`) });
    log.info('nested', { request: { headers: { auth: `Bot ${DISCORD}` } }, url: `x/${TELEGRAM}/y` });
    log.child({ exchange: 'okx' }).debug('child', { note: DISCORD });
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(TELEGRAM);
      expect(line).not.toContain(DISCORD);
      expect(line).not.toContain('AAFakeToken');
      expect(line).toContain('[masked]');
    }
    expect(lines.join('\n')).not.toContain('whatever-value-1234');
    if (format === 'json') {
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(JSON.parse(lines[2] ?? '{}')).toMatchObject({ error: '401 Unauthorized for bot[masked]' });
    }
  });

  it('ignores unset and very short secret values instead of masking ordinary text', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      format: 'json',
      write: (l) => lines.push(l),
      secrets: [undefined, 'a', ''],
    });
    log.info('a plain message');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'a plain message' });
  });

  it('honours LOG_LEVEL: lines below the configured level are dropped', () => {
    const counts: Record<string, number> = {};
    for (const level of ['error', 'warn', 'info', 'debug', 'trace', 'fatal'] as const) {
      const { log, lines } = recorder(loadConfig({ LOG_LEVEL: level }).LOG_LEVEL, 'json');
      log.error('e');
      log.warn('w');
      log.info('i');
      log.debug('d');
      log.child({ module: 'x' }).debug('child d');
      counts[level] = lines.length;
    }
    expect(counts).toEqual({ fatal: 0, error: 1, warn: 2, info: 3, debug: 5, trace: 5 });
  });
});

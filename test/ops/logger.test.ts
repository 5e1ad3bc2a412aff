// The structured logger: LOG_LEVEL is honoured, and tokens never reach a line, whether passed in a secret-named
// field, inside an error's message, in the message itself or nested in a field. Every line names the instance and
// the role it holds, so that the logs of several instances can be read together.
import { hostname } from 'node:os';
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

function jsonRecorder(options: { level?: LogLevel; role?: () => string } = {}) {
  const lines: string[] = [];
  const log = createLogger({
    level: options.level ?? 'debug',
    format: 'json',
    write: (line) => lines.push(line),
    now: () => 0,
    secrets: [TELEGRAM, DISCORD],
    instance: 'bot-a',
    role: options.role ?? (() => 'single'),
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, parsed };
}

describe('the logger on several instances', () => {
  it('puts the instance and the role on every line, child lines included', () => {
    const { log, parsed } = jsonRecorder();
    log.error('e', { code: 1 });
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.child({ exchange: 'okx' }).child({ symbol: 'BTC' }).info('grandchild');
    expect(parsed()).toHaveLength(5);
    for (const line of parsed()) expect(line).toMatchObject({ instance: 'bot-a', role: 'single' });
  });

  it('reads the role at each line, so a change of role shows from the next line on', () => {
    let role = 'follower';
    const { log, parsed } = jsonRecorder({ role: () => role });
    const child = log.child({ exchange: 'okx' });
    log.info('before');
    role = 'leader';
    log.info('after');
    child.info('child after');
    expect(parsed().map((line) => line['role'])).toEqual(['follower', 'leader', 'leader']);
  });

  it('names the instance by host name and process id, in the role single, when neither is given', () => {
    const lines: string[] = [];
    createLogger({ level: 'info', format: 'json', write: (line) => lines.push(line) }).info('hello');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      instance: `${hostname()}-${process.pid}`,
      role: 'single',
      msg: 'hello',
    });
  });

  it('labels levels by name, keeps msg and time, and drops lines below the level in child loggers too', () => {
    const { log, parsed } = jsonRecorder({ level: 'warn' });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.child({ module: 'x' }).warn('child w');
    log.child({ module: 'x' }).info('child i');
    expect(parsed()).toEqual([
      { level: 'error', time: 0, instance: 'bot-a', role: 'single', msg: 'e' },
      { level: 'warn', time: 0, instance: 'bot-a', role: 'single', msg: 'w' },
      { level: 'warn', time: 0, instance: 'bot-a', module: 'x', role: 'single', msg: 'child w' },
    ]);
  });

  it('redacts secret-named fields by path at the top level and one level down, in fields and child fields', () => {
    const { log, lines, parsed } = jsonRecorder();
    log.info('call', {
      password: 'hunter2-plain',
      apiKey: 'key-value-plain',
      request: { token: 'nested-token-plain', authorization: 'Bearer nested-auth-plain', path: '/getMe' },
    });
    log.child({ client: { secret: 'child-secret-plain', name: 'discord' } }).info('child call');
    expect(parsed()[0]).toMatchObject({
      password: '[masked]',
      apiKey: '[masked]',
      request: { token: '[masked]', authorization: '[masked]', path: '/getMe' },
    });
    expect(parsed()[1]).toMatchObject({ client: { secret: '[masked]', name: 'discord' } });
    expect(lines.join('\n')).not.toMatch(/-plain/);
  });

  it('keeps an error as its message, and adds its stack, masked too, only at debug', () => {
    const failure = new Error(`401 Unauthorized for bot${TELEGRAM}`);
    const atInfo = jsonRecorder({ level: 'info' });
    atInfo.log.error('send failed', { error: failure });
    expect(atInfo.parsed()[0]).toMatchObject({ error: '401 Unauthorized for bot[masked]' });
    expect(atInfo.parsed()[0]).not.toHaveProperty('errorStack');

    const atDebug = jsonRecorder({ level: 'debug' });
    atDebug.log.error('send failed', { error: failure });
    atDebug.log.child({ cause: failure }).warn('child with an error');
    const [line, childLine] = atDebug.parsed();
    expect(line).toMatchObject({ error: '401 Unauthorized for bot[masked]' });
    expect(String(line?.['errorStack'])).toMatch(/^Error: 401 Unauthorized for bot\[masked\]\n\s+at /);
    expect(childLine).toMatchObject({ cause: '401 Unauthorized for bot[masked]' });
    expect(atDebug.lines.join('\n')).not.toContain('AAFakeToken');
  });

  it('writes a readable pretty line: time, level, instance and role, message, then the fields', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      format: 'pretty',
      write: (line) => lines.push(line),
      now: () => Date.parse('2025-10-08T12:00:00.250Z'),
      secrets: [TELEGRAM],
      instance: 'bot-a',
      role: () => 'leader',
    });
    log.child({ exchange: 'okx' }).warn(`venue slow for ${TELEGRAM}`, { durationMs: 1200 });
    log.error('send failed', { error: new Error('socket hang up') });
    expect(lines).toEqual([
      '[2025-10-08T12:00:00.250Z] WARN: [bot-a leader] venue slow for [masked] {"exchange":"okx","durationMs":1200}',
      '[2025-10-08T12:00:00.250Z] ERROR: [bot-a leader] send failed {"error":"socket hang up"}',
    ]);
  });
});

describe('INSTANCE_ID', () => {
  it('defaults to the host name and process id and takes a name of letters, digits, dots, dashes and underscores', () => {
    expect(loadConfig({}).INSTANCE_ID).toBe(`${hostname()}-${process.pid}`);
    expect(loadConfig({ INSTANCE_ID: '' }).INSTANCE_ID).toBe(`${hostname()}-${process.pid}`);
    expect(loadConfig({ INSTANCE_ID: ' eu-west.bot_2 ' }).INSTANCE_ID).toBe('eu-west.bot_2');
    expect(() => loadConfig({ INSTANCE_ID: 'bot a' })).toThrow(/INSTANCE_ID: may hold only/);
    expect(() => loadConfig({ INSTANCE_ID: 'x'.repeat(65) })).toThrow(/INSTANCE_ID/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseWords, splitWords, validateArguments } from '../../src/commands/arguments.js';
import type { CommandDefinition } from '../../src/commands/command.js';
import { reply } from '../../src/commands/reply.js';

const cascadeLike: CommandDefinition = {
  name: 'cascade',
  description: 'test command',
  usage: 'cascade <symbol> [shock%] [--up]',
  options: [
    { name: 'symbol', description: 'a market', type: 'string', required: true, maxLength: 40 },
    { name: 'shock', description: 'the move in percent', type: 'number', min: 0.1, max: 50 },
    { name: 'up', description: 'an upward move', type: 'boolean' },
  ],
  run: () => reply('ok', ''),
};

const termLike: CommandDefinition = {
  name: 'term',
  description: 'test command',
  usage: 'term <query>',
  options: [{ name: 'query', description: 'a term', type: 'string', required: true, maxLength: 200, rest: true }],
  run: () => reply('ok', ''),
};

describe('splitWords', () => {
  it('keeps quoted phrases together', () => {
    expect(splitWords('term "ADL (Auto-Deleveraging)" --full')).toEqual(['term', 'ADL (Auto-Deleveraging)', '--full']);
    expect(splitWords("term 'margin call'  spiral")).toEqual(['term', 'margin call', 'spiral']);
  });
});

describe('parseWords', () => {
  it('fills options in order, reads flags anywhere and converts numbers', () => {
    const result = parseWords(cascadeLike, ['--up', 'BTC', '8%']);
    expect(result).toEqual({ ok: true, args: { symbol: 'BTC', shock: 8, up: true } });
  });

  it('lets the last option take the rest of the words', () => {
    const result = parseWords(termLike, ['liquidation', 'cascade']);
    expect(result).toEqual({ ok: true, args: { query: 'liquidation cascade' } });
  });

  it('refuses extra words where no option takes the rest', () => {
    const result = parseWords(cascadeLike, ['BTC', '5', 'extra']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reply.error?.id).toBe('tooManyArguments');
  });

  it('names a missing required argument', () => {
    const result = parseWords(cascadeLike, []);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reply.error?.id).toBe('missingArgument');
      expect(result.reply.body).toContain('symbol');
    }
  });
});

describe('validateArguments', () => {
  it('refuses a number outside its range with the range in the message', () => {
    const result = validateArguments(cascadeLike, { symbol: 'BTC', shock: 75 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reply.body).toBe('shock must be between 0.1 and 50; 75 is outside.');
  });

  it('refuses text that is not a number', () => {
    const result = validateArguments(cascadeLike, { symbol: 'BTC', shock: 'lots' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reply.error?.id).toBe('invalidNumber');
  });

  it('refuses an over-long argument without echoing it', () => {
    const long = 'x'.repeat(5_000);
    const result = validateArguments(termLike, { query: long });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reply.error?.id).toBe('argumentTooLong');
      expect(result.reply.body).not.toContain(long);
      expect(result.reply.body).toContain('at most 200 characters');
    }
  });

  it('treats blank text as absent', () => {
    const result = validateArguments(cascadeLike, { symbol: '  ' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reply.error?.id).toBe('missingArgument');
  });
});

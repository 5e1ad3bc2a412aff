import { describe, expect, it, vi } from 'vitest';
import type { CommandContext, CommandDefinition } from '../../src/commands/command.js';
import { dispatch, inputFromLine } from '../../src/commands/dispatch.js';
import { commands } from '../../src/commands/index.js';
import { reply } from '../../src/commands/reply.js';
import { fakeGlossary, glossaryEntry } from './fakeGlossary.js';

const failing: CommandDefinition = {
  name: 'explode',
  description: 'always throws',
  usage: 'explode',
  options: [],
  run: () => {
    throw new Error('database is locked');
  },
};

const guarded: CommandDefinition = {
  name: 'guarded',
  description: 'needs permission',
  usage: 'guarded',
  options: [],
  requires: ['manageSubscriptions'],
  run: () => reply('Subscribed', ''),
};

function context(overrides: Partial<CommandContext> = {}): CommandContext {
  return {
    services: { glossary: fakeGlossary([glossaryEntry({ id: 'liquidation', title: 'Liquidation' })]) },
    now: 0,
    caller: { platform: 'cli', canManageSubscriptions: false },
    commands: [...commands, failing, guarded],
    ...overrides,
  };
}

describe('dispatch', () => {
  it('answers an unknown command with a pointer to help', async () => {
    const answer = await dispatch({ name: 'frobnicate', kind: 'words', words: [] }, context(), () => undefined);
    expect(answer.error?.id).toBe('unknownCommand');
    expect(answer.body).toContain('help');
  });

  it('turns a handler exception into a neutral reply and reports it', async () => {
    const report = vi.fn();
    const answer = await dispatch({ name: 'explode', kind: 'words', words: [] }, context(), report);
    expect(answer.error?.id).toBe('internal');
    expect(answer.body).not.toContain('database is locked');
    expect(report).toHaveBeenCalledWith(expect.any(Error), 'explode');
  });

  it('refuses a guarded command to a caller without the permission', async () => {
    const answer = await dispatch({ name: 'guarded', kind: 'words', words: [] }, context(), () => undefined);
    expect(answer.error?.id).toBe('notPermitted');
    const allowed = await dispatch(
      { name: 'guarded', kind: 'words', words: [] },
      context({ caller: { platform: 'discord', canManageSubscriptions: true } }),
      () => undefined,
    );
    expect(allowed.title).toBe('Subscribed');
  });

  it('validates named options the same way as words', async () => {
    const answer = await dispatch(
      { name: 'term', kind: 'options', options: { query: '' } },
      context(),
      () => undefined,
    );
    expect(answer.error?.id).toBe('missingArgument');
  });
});

describe('inputFromLine', () => {
  it('reads a Telegram-style command with the bot name and a leading slash', () => {
    expect(inputFromLine('/term@SpiralwatchBot margin call')).toEqual({
      name: 'term',
      kind: 'words',
      words: ['margin', 'call'],
    });
  });

  it('ignores a blank line', () => {
    expect(inputFromLine('   ')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { commands } from '../../src/commands/index.js';
import { renderText } from '../../src/chat/text.js';
import { fakeGlossary, glossaryEntry } from './fakeGlossary.js';

const longExample = Array.from({ length: 40 }, (_, i) => `Step ${i + 1} moves the price by ${i + 1} dollars.`).join(
  ' ',
);

const glossary = fakeGlossary([
  glossaryEntry({
    id: 'liquidation-price',
    title: 'Liquidation price',
    topic: 'liquidation',
    short: 'The mark price at which a position is closed by force.',
    formula: 'Long = entry × (1 − 1/L + MMR)',
    example: longExample,
    related: ['leverage'],
  }),
  glossaryEntry({ id: 'leverage', title: 'Leverage', topic: 'margin' }),
]);

const context: CommandContext = {
  services: { glossary },
  now: 0,
  caller: { platform: 'cli', canManageSubscriptions: true },
  commands,
};

const run = (name: string, ...words: string[]) => dispatch({ name, kind: 'words', words }, context, () => undefined);

describe('term', () => {
  it('puts the title on the first line, then the definition, formula, example and related terms', async () => {
    const text = renderText(await run('term', 'liquidation', 'price'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Liquidation price');
    expect(text.indexOf('The mark price')).toBeLessThan(text.indexOf('Formula'));
    expect(text.indexOf('Formula')).toBeLessThan(text.indexOf('Example'));
    expect(text).toContain('Related: Leverage');
  });

  it('cuts a long example at a sentence and points at the full entry', async () => {
    const answer = await run('term', 'liquidation', 'price');
    expect(answer.body).toContain('… (full entry: term liquidation-price --full)');
    expect(answer.body).toMatch(/dollars\. … \(full entry/);
    const full = await run('term', 'liquidation', 'price', '--full');
    expect(full.body).toContain('Step 40 moves the price by 40 dollars.');
    expect(renderText(full)).toContain('Sources:');
  });

  it('answers a miss with suggestions and an error id', async () => {
    const answer = await run('term', 'moon', 'lambo');
    expect(answer.error?.id).toBe('unknownTerm');
    expect(answer.body).toBe('No entry for "moon lambo". Did you mean: Liquidation price, Leverage?');
  });
});

describe('terms', () => {
  it('lists entries per topic', async () => {
    const answer = await run('terms');
    expect(answer.fields.find((f) => f.name.startsWith('Liquidation'))?.value).toBe('Liquidation price');
    expect(answer.fields.find((f) => f.name.startsWith('Margin'))?.value).toBe('Leverage');
  });

  it('lists one topic with short definitions', async () => {
    const answer = await run('terms', 'liquidation');
    expect(answer.body).toBe('Liquidation price: The mark price at which a position is closed by force.');
  });

  it('refuses an unknown topic and lists the real ones', async () => {
    const answer = await run('terms', 'astrology');
    expect(answer.error?.id).toBe('unknownTopic');
    expect(answer.body).toContain('market-structure');
  });
});

describe('help', () => {
  it('lists every command with its usage', async () => {
    const answer = await run('help');
    for (const command of commands) expect(answer.body).toContain(command.usage);
  });

  it('explains one command', async () => {
    const answer = await run('help', 'term');
    expect(answer.body).toContain('Usage: term <query> [--full]');
  });
});

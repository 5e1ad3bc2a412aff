import { describe, expect, it } from 'vitest';
import { checkEntrySet, parseGlossaryFile, type ParseResult } from '../../src/glossary/entry.js';
import type { GlossaryEntry } from '../../src/glossary/types.js';
import { anEntry, frontMatter, glossaryFile } from './fixtures.js';

function parsed(result: ParseResult): GlossaryEntry {
  if (!result.ok) throw new Error(`expected an entry, got problems:\n${result.problems.join('\n')}`);
  return result.entry;
}

function problems(result: ParseResult): string[] {
  if (result.ok) throw new Error(`expected problems, got the entry ${result.entry.id}`);
  return result.problems;
}

describe('parseGlossaryFile', () => {
  it('reads the front matter and splits the body into explanation, formula and example', () => {
    const text = glossaryFile(
      frontMatter('Liquidation cascade', {
        aliases: ['Liquidation Cascades', 'Deleveraging Cascade'],
        related: ['liquidation'],
        live: 'liquidations',
      }),
      [
        'Forced selling feeds on itself.',
        '',
        'A second paragraph.',
        '',
        '## Formula',
        'amplification = liquidated notional / initial move',
        '',
        '## Example',
        'A 5% drop liquidates $200M of longs.',
        '',
      ].join('\n'),
    );
    expect(parsed(parseGlossaryFile('liquidation-cascade', text))).toEqual({
      id: 'liquidation-cascade',
      title: 'Liquidation cascade',
      aliases: ['Liquidation Cascades', 'Deleveraging Cascade'],
      related: ['liquidation'],
      topic: 'spiral',
      tags: ['feedback-loop'],
      short: 'Liquidation cascade, defined in one sentence.',
      explanation: 'Forced selling feeds on itself.\n\nA second paragraph.',
      formula: 'amplification = liquidated notional / initial move',
      example: 'A 5% drop liquidates $200M of longs.',
      sources: [{ title: 'Exchange documentation', url: 'https://example.com/docs' }],
      live: 'liquidations',
    });
  });

  it('gives a null formula and no live measure when the file has neither, and empty lists for omitted lists', () => {
    const text = glossaryFile(frontMatter('Leverage', { aliases: undefined, related: undefined, tags: undefined }));
    const entry = parsed(parseGlossaryFile('leverage', text));
    expect(entry.formula).toBeNull();
    expect(entry.live).toBeNull();
    expect(entry).toMatchObject({ aliases: [], related: [], tags: [] });
  });

  it('reads a folded short definition as one line and accepts Windows line ends and a byte-order mark', () => {
    const text =
      '\uFEFF---\r\ntitle: Leverage\r\ntopic: margin\r\nshort: >-\r\n  Position size\r\n  over equity.\r\n---\r\n' +
      'Explained.\r\n\r\n## Example\r\n10x.\r\n';
    const entry = parsed(parseGlossaryFile('leverage', text));
    expect(entry.short).toBe('Position size over equity.');
    expect(entry.example).toBe('10x.');
  });

  it('ignores heading-like lines inside fenced code', () => {
    const body = 'Explained.\n\n## Example\n```\n## not a heading\n```\n';
    expect(parsed(parseGlossaryFile('leverage', glossaryFile(frontMatter('Leverage'), body))).example).toBe(
      '```\n## not a heading\n```',
    );
  });

  it('reports a missing field by file and field name', () => {
    const result = parseGlossaryFile('leverage', glossaryFile(frontMatter('Leverage', { topic: undefined })));
    expect(problems(result)).toEqual(['leverage.md: topic: is missing']);
  });

  it('reports an unknown topic, naming the topics there are', () => {
    const result = parseGlossaryFile('leverage', glossaryFile(frontMatter('Leverage', { topic: 'spirals' })));
    expect(problems(result)).toEqual([
      'leverage.md: topic: unknown topic "spirals"; one of: spiral, liquidation, margin, derivatives, market-structure, risk-management',
    ]);
  });

  it('reports an unknown live measure and an unknown field, so a misspelt field is not silently dropped', () => {
    const result = parseGlossaryFile(
      'leverage',
      glossaryFile(frontMatter('Leverage', { live: 'funding', summary: 'misspelt short' })),
    );
    const list = problems(result);
    expect(list).toContainEqual(expect.stringMatching(/^leverage\.md: live: unknown live measure "funding"; one of: /));
    expect(list).toContainEqual('leverage.md: front matter: unknown field summary');
  });

  it('reports a short definition over 300 characters with its length, and accepts one of exactly 300', () => {
    const long = parseGlossaryFile('leverage', glossaryFile(frontMatter('Leverage', { short: 'x'.repeat(301) })));
    expect(problems(long)).toEqual(['leverage.md: short: is 301 characters; at most 300']);
    const limit = parseGlossaryFile('leverage', glossaryFile(frontMatter('Leverage', { short: 'x'.repeat(300) })));
    expect(parsed(limit).short).toHaveLength(300);
  });

  it('reports empty names, a related id that is not kebab-case and a source URL that is not http(s)', () => {
    const result = parseGlossaryFile(
      'leverage',
      glossaryFile(
        frontMatter('Leverage', {
          aliases: ['Gearing', ' '],
          related: ['Margin Call'],
          sources: [{ title: 'Docs', url: 'ftp://example.com' }],
        }),
      ),
    );
    expect(problems(result)).toEqual([
      'leverage.md: aliases[1]: must not be empty',
      'leverage.md: related[0]: must be an entry id in kebab-case',
      'leverage.md: sources[0].url: must be an http(s) URL',
    ]);
  });

  it('reports a file name that is not kebab-case', () => {
    const result = parseGlossaryFile('Margin_Call', glossaryFile(frontMatter('Margin call')));
    expect(problems(result)).toEqual(['Margin_Call.md: id: "Margin_Call" is not kebab-case (a-z, 0-9 and single hyphens)']);
  });

  it('reports a file without front matter, and YAML that does not parse with its line in the file', () => {
    expect(problems(parseGlossaryFile('leverage', '# Leverage\n\nText.'))).toEqual([
      'leverage.md: front matter: the file must start with YAML between two --- lines',
    ]);
    const broken = '---\ntitle: Leverage\ntitle: Again\n---\nText.\n\n## Example\n1.\n';
    expect(problems(parseGlossaryFile('leverage', broken))).toEqual([
      'leverage.md: front matter: invalid YAML at line 3: Map keys must be unique',
    ]);
    expect(problems(parseGlossaryFile('leverage', '---\n- a list\n---\nText.\n'))).toEqual([
      'leverage.md: front matter: must be a YAML mapping of fields (title: ..., topic: ...)',
    ]);
  });

  it('reports a missing example, a missing explanation, an empty formula and an unknown or repeated heading', () => {
    const text = [
      '---',
      'title: Leverage',
      'topic: margin',
      'short: Position size over equity.',
      '---',
      '## Formula',
      '',
      '## Examples',
      'x',
      '',
      '## Example',
      '1.',
      '',
      '## Example',
      '2.',
      '',
      '# Leverage',
    ].join('\n');
    expect(problems(parseGlossaryFile('leverage', text))).toEqual([
      'leverage.md: body: unknown heading "## Examples" at line 8; the only headings are ## Formula and ## Example',
      'leverage.md: example: a second ## Example section at line 14',
      'leverage.md: body: unknown heading "# Leverage" at line 17; the only headings are ## Formula and ## Example',
      'leverage.md: explanation: is missing (the text before the first ## heading)',
      'leverage.md: formula: the ## Formula section is empty',
    ]);
    const noExample = glossaryFile(frontMatter('Leverage'), 'Only an explanation.\n');
    expect(problems(parseGlossaryFile('leverage', noExample))).toEqual([
      'leverage.md: example: the ## Example section is missing',
    ]);
  });

  it('reports every problem of a file at once', () => {
    const text = glossaryFile(frontMatter('Leverage', { title: undefined, topic: 'x', short: 'y'.repeat(400) }), 'Text.\n');
    expect(problems(parseGlossaryFile('leverage', text))).toHaveLength(4);
  });
});

describe('checkEntrySet', () => {
  const liquidation = anEntry({ id: 'liquidation', title: 'Liquidation', related: ['margin-call'] });
  const marginCall = anEntry({ id: 'margin-call', title: 'Margin call', related: ['liquidation'] });

  it('accepts entries whose related ids all name other entries', () => {
    expect(checkEntrySet([liquidation, marginCall])).toEqual([]);
  });

  it('reports a related id that does not resolve, one that is the entry itself and one listed twice', () => {
    const entry = anEntry({ id: 'leverage', title: 'Leverage', related: ['margin', 'leverage', 'liquidation', 'liquidation'] });
    expect(checkEntrySet([entry, liquidation, marginCall])).toEqual([
      'leverage.md: related[0]: "margin" is not an entry (no margin.md)',
      'leverage.md: related[1]: "leverage" is the entry itself',
      'leverage.md: related[3]: "liquidation" is listed twice',
    ]);
  });

  it('does not report a link to a file that exists but failed to parse', () => {
    expect(checkEntrySet([liquidation], ['liquidation', 'margin-call'])).toEqual([]);
  });

  it('reports an alias claimed by two entries once normalised, naming both files', () => {
    const cascade = anEntry({ id: 'liquidation-cascade', title: 'Liquidation cascade' });
    const spiral = anEntry({ id: 'deleveraging-spiral', title: 'Deleveraging spiral', aliases: ['Liquidation-Cascades'] });
    expect(checkEntrySet([cascade, spiral])).toEqual([
      'deleveraging-spiral.md: aliases[0]: "Liquidation-Cascades" (as "liquidation cascade") is also claimed by liquidation-cascade.md title "Liquidation cascade"',
    ]);
  });

  it('reports a clash with a part of a parenthesised name, and allows one entry to repeat its own names', () => {
    const adl = anEntry({ id: 'auto-deleveraging', title: 'Auto-deleveraging', aliases: ['ADL (Auto-Deleveraging)', 'Auto Deleveraging'] });
    const ranking = anEntry({ id: 'adl-ranking', title: 'ADL ranking', aliases: ['ADL'] });
    expect(checkEntrySet([adl, ranking])).toEqual([
      'adl-ranking.md: aliases[0]: "ADL" (as "adl") is also claimed by auto-deleveraging.md aliases[0] "ADL (Auto-Deleveraging)"',
    ]);
  });

  it('reports two entries with one id', () => {
    expect(checkEntrySet([liquidation, { ...liquidation, title: 'Forced liquidation' }, marginCall])).toEqual([
      'liquidation.md: id: "liquidation" is used by two entries',
    ]);
  });
});

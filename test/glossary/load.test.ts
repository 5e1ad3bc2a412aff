import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GLOSSARY_DIR, GlossaryError, loadGlossary, loadGlossaryEntries } from '../../src/glossary/load.js';
import { frontMatter, glossaryFile } from './fixtures.js';

const folders: string[] = [];

/** A temporary glossary folder holding `files` (name → text). */
function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-glossary-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The error `load` throws; fails the test when it throws nothing or something else. */
function thrownBy(load: () => unknown): GlossaryError {
  try {
    load();
  } catch (error) {
    if (error instanceof GlossaryError) return error;
    throw error;
  }
  throw new Error('expected a GlossaryError, nothing was thrown');
}

describe('loadGlossary', () => {
  it('loads every .md file of a folder in file-name order, ignoring other files', () => {
    const dir = folderWith({
      'margin-call.md': glossaryFile(frontMatter('Margin call', { related: ['liquidation'] })),
      'liquidation.md': glossaryFile(frontMatter('Liquidation', { aliases: ['Forced liquidation'] })),
      'notes.txt': 'not an entry',
    });
    const glossary = loadGlossary(dir);
    expect(glossary.entries.map((entry) => entry.id)).toEqual(['liquidation', 'margin-call']);
    expect(glossary.lookup('forced liquidations')).toMatchObject({ kind: 'found', matchedBy: 'alias' });
  });

  it('collects the problems of every file into one GlossaryError, each naming its file', () => {
    const dir = folderWith({
      'missing-topic.md': glossaryFile(frontMatter('Missing topic', { topic: undefined })),
      'odd-topic.md': glossaryFile(frontMatter('Odd topic', { topic: 'weather' })),
      'dangling.md': glossaryFile(frontMatter('Dangling', { related: ['nowhere'] })),
      'first-claim.md': glossaryFile(frontMatter('First claim', { aliases: ['Shared name'] })),
      'second-claim.md': glossaryFile(frontMatter('Second claim', { aliases: ['shared-names'] })),
      'long-short.md': glossaryFile(frontMatter('Long short', { short: 'z'.repeat(301) })),
    });
    const error = thrownBy(() => loadGlossary(dir));
    expect(error.problems).toEqual([
      'long-short.md: short: is 301 characters; at most 300',
      'missing-topic.md: topic: is missing',
      expect.stringMatching(/^odd-topic\.md: topic: unknown topic "weather"/),
      'dangling.md: related[0]: "nowhere" is not an entry (no nowhere.md)',
      'second-claim.md: aliases[0]: "shared-names" (as "shared name") is also claimed by first-claim.md aliases[0] "Shared name"',
    ]);
    expect(error.message).toContain(`has 5 problems:\n- long-short.md: short:`);
    expect(error.name).toBe('GlossaryError');
  });

  it('does not call a link to a file that failed to parse unresolved', () => {
    const dir = folderWith({
      'broken.md': glossaryFile(frontMatter('Broken', { topic: undefined })),
      'linking.md': glossaryFile(frontMatter('Linking', { related: ['broken'] })),
    });
    expect(thrownBy(() => loadGlossary(dir)).problems).toEqual(['broken.md: topic: is missing']);
  });

  it('reports a file whose name is not kebab-case', () => {
    const dir = folderWith({ 'Margin_Call.md': glossaryFile(frontMatter('Margin call')) });
    expect(thrownBy(() => loadGlossaryEntries(dir)).problems).toEqual([
      'Margin_Call.md: id: "Margin_Call" is not kebab-case (a-z, 0-9 and single hyphens)',
    ]);
  });

  it('reports a folder that does not exist and a folder without entries', () => {
    const missing = join(tmpdir(), 'spiralwatch-no-such-glossary');
    expect(thrownBy(() => loadGlossary(missing)).problems).toEqual([
      expect.stringMatching(/^cannot read the folder: ENOENT/),
    ]);
    const empty = folderWith({ 'README.txt': 'nothing here' });
    mkdirSync(join(empty, 'drafts.md'));
    expect(thrownBy(() => loadGlossary(empty)).problems).toEqual(['the folder has no .md files']);
  });

  it("defaults to the repository's glossary folder, whatever the working directory", () => {
    expect(DEFAULT_GLOSSARY_DIR).toBe(fileURLToPath(new URL('../../glossary/', import.meta.url)));
  });
});

// The glossary's one I/O: reading `glossary/*.md` at start-up. Everything else (parsing, the checks across
// entries, the search index) is pure and lives beside it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEntrySet, parseGlossaryFile } from './entry.js';
import { createGlossary } from './search.js';
import type { Glossary, GlossaryEntry } from './types.js';

/** The repository's `glossary/` folder, found from this module's location so any working directory works. */
export const DEFAULT_GLOSSARY_DIR = fileURLToPath(new URL('../../glossary/', import.meta.url));

/** Everything wrong with a glossary folder, found in one pass: one line per problem, each naming the file. */
export class GlossaryError extends Error {
  override readonly name = 'GlossaryError';
  readonly problems: string[];

  constructor(dir: string, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`The glossary in ${dir} has ${count}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    this.problems = [...problems];
  }
}

/**
 * Reads, parses and checks every `*.md` in `dir` (synchronously: this runs once, at start-up). Returns the
 * entries in file-name order, or throws one `GlossaryError` listing every problem in every file.
 */
export function loadGlossaryEntries(dir: string = DEFAULT_GLOSSARY_DIR): GlossaryEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((item) => item.isFile() && item.name.endsWith('.md'))
      .map((item) => item.name)
      .sort();
  } catch (error) {
    throw new GlossaryError(dir, [`cannot read the folder: ${(error as Error).message}`]);
  }
  if (names.length === 0) throw new GlossaryError(dir, ['the folder has no .md files']);

  const problems: string[] = [];
  const entries: GlossaryEntry[] = [];
  const ids = names.map((name) => name.slice(0, -'.md'.length));
  for (const id of ids) {
    const parsed = parseGlossaryFile(id, readFileSync(join(dir, `${id}.md`), 'utf8'));
    if (parsed.ok) entries.push(parsed.entry);
    else problems.push(...parsed.problems);
  }
  problems.push(...checkEntrySet(entries, ids));
  if (problems.length > 0) throw new GlossaryError(dir, problems);
  return entries;
}

/** The glossary in `dir` (the repository's `glossary/` by default), indexed for lookup and autocomplete. */
export function loadGlossary(dir: string = DEFAULT_GLOSSARY_DIR): Glossary {
  return createGlossary(loadGlossaryEntries(dir));
}

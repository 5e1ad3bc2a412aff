// One glossary file (`glossary/<id>.md`) to one `GlossaryEntry`, and the checks that span the whole set.
// Pure: the caller reads the files. Every problem names the file and the field, so a writer can fix all of
// them in one pass.
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { matchKeys } from './normalize.js';
import { GLOSSARY_TOPICS, LIVE_MEASURES, type GlossaryEntry } from './types.js';

/** The longest `short` definition: it has to fit one chat message beside the title. */
export const SHORT_MAX_CHARS = 300;

/** An entry id: the file name without `.md`, kebab-case (`liquidation-cascade`). */
export const ENTRY_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const text = z.string().trim().min(1, 'must not be empty');

/** The YAML front matter of a glossary file. Unknown fields are errors, so a misspelt field is not lost. */
export const frontMatterSchema = z.strictObject({
  title: text,
  aliases: z.array(text).default([]),
  related: z.array(z.string().regex(ENTRY_ID_PATTERN, 'must be an entry id in kebab-case')).default([]),
  topic: z.enum(GLOSSARY_TOPICS, {
    error: (issue) =>
      issue.input === undefined
        ? undefined
        : `unknown topic ${JSON.stringify(issue.input)}; one of: ${GLOSSARY_TOPICS.join(', ')}`,
  }),
  tags: z.array(text).default([]),
  short: text.max(SHORT_MAX_CHARS, {
    error: (issue) =>
      `is ${typeof issue.input === 'string' ? issue.input.length : '?'} characters; at most ${SHORT_MAX_CHARS}`,
  }),
  live: z
    .enum(LIVE_MEASURES, {
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : `unknown live measure ${JSON.stringify(issue.input)}; one of: ${LIVE_MEASURES.join(', ')}`,
    })
    .nullable()
    .default(null),
  sources: z.array(z.strictObject({ title: text, url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }) })).default([]),
});

export type ParseResult = { ok: true; entry: GlossaryEntry } | { ok: false; problems: string[] };

/** Wording for the issues zod words for programmers rather than for glossary writers. */
const writerWording: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined) return 'is missing';
  if (issue.code === 'invalid_type' && issue.input === null) return 'is empty';
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return undefined;
};

/** `sources.0.url` → `sources[0].url`; the front matter itself when the issue has no path. */
function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const part of path) name += typeof part === 'number' ? `[${part}]` : `${name === '' ? '' : '.'}${String(part)}`;
  return name === '' ? 'front matter' : name;
}

const SECTIONS = { formula: 'Formula', example: 'Example' } as const;
type SectionKey = keyof typeof SECTIONS;
const SECTION_KEYS = Object.keys(SECTIONS) as SectionKey[];

interface Body {
  explanation: string;
  sections: Partial<Record<SectionKey, string>>;
  problems: string[];
}

/** The body: the explanation before the first `## ` heading, then the `## Formula` and `## Example` sections. */
function splitBody(body: string, firstLine: number): Body {
  const problems: string[] = [];
  const explanation: string[] = [];
  const sectionLines: Partial<Record<SectionKey, string[]>> = {};
  let into = explanation;
  let inFence = false;
  for (const [index, line] of body.split('\n').entries()) {
    if (/^\s*(?:```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) {
      into.push(line);
      continue;
    }
    const title = (heading[2] ?? '').toLowerCase();
    const key = SECTION_KEYS.find((k) => SECTIONS[k].toLowerCase() === title);
    const where = `line ${firstLine + index}`;
    into = [];
    if (heading[1] !== '##' || key === undefined) {
      problems.push(`body: unknown heading "${line.trim()}" at ${where}; the only headings are ## Formula and ## Example`);
    } else if (sectionLines[key] !== undefined) {
      problems.push(`${key}: a second ## ${SECTIONS[key]} section at ${where}`);
    } else {
      sectionLines[key] = into;
    }
  }
  const sections: Partial<Record<SectionKey, string>> = {};
  for (const key of SECTION_KEYS) {
    const lines = sectionLines[key];
    if (lines !== undefined) sections[key] = lines.join('\n').trim();
  }
  return { explanation: explanation.join('\n').trim(), sections, problems };
}

/** `text` split at its front matter: the YAML between the leading `---` lines, and the Markdown after them. */
function splitFrontMatter(text: string): { yaml: string; body: string; bodyLine: number } | null {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') return null;
  const end = lines.findIndex((line, index) => index > 0 && line.trim() === '---');
  if (end < 0) return null;
  return { yaml: lines.slice(1, end).join('\n'), body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

/**
 * Parses the text of `glossary/<id>.md` into an entry, or lists every problem found, each starting with the
 * file name and the field (`liquidation.md: topic: unknown topic "spirals"; ...`).
 */
export function parseGlossaryFile(id: string, fileText: string): ParseResult {
  const file = `${id}.md`;
  const problems: string[] = [];
  const fail = (list: readonly string[]): ParseResult => ({ ok: false, problems: list.map((p) => `${file}: ${p}`) });
  if (!ENTRY_ID_PATTERN.test(id)) problems.push(`id: "${id}" is not kebab-case (a-z, 0-9 and single hyphens)`);

  const text = fileText.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const split = splitFrontMatter(text);
  if (split === null) return fail([...problems, 'front matter: the file must start with YAML between two --- lines']);

  let data: unknown;
  try {
    data = parseYaml(split.yaml);
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const line = error.linePos?.[0]?.line;
    const reason = error.message.split(/ at line \d+/)[0] ?? error.message;
    return fail([...problems, `front matter: invalid YAML${line === undefined ? '' : ` at line ${line + 1}`}: ${reason}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return fail([...problems, 'front matter: must be a YAML mapping of fields (title: ..., topic: ...)']);
  }

  const front = frontMatterSchema.safeParse(data, { error: writerWording });
  if (!front.success) {
    for (const issue of front.error.issues) problems.push(`${fieldName(issue.path)}: ${issue.message}`);
  }
  const body = splitBody(split.body, split.bodyLine);
  problems.push(...body.problems);
  if (body.explanation === '') problems.push('explanation: is missing (the text before the first ## heading)');
  if (body.sections.example === undefined) problems.push('example: the ## Example section is missing');
  for (const key of SECTION_KEYS) {
    if (body.sections[key] === '') problems.push(`${key}: the ## ${SECTIONS[key]} section is empty`);
  }
  if (!front.success || problems.length > 0) return fail(problems);

  const fields = front.data;
  return {
    ok: true,
    entry: {
      id,
      title: fields.title,
      aliases: fields.aliases,
      related: fields.related,
      topic: fields.topic,
      tags: fields.tags,
      short: fields.short,
      explanation: body.explanation,
      formula: body.sections.formula ?? null,
      example: body.sections.example ?? '',
      sources: fields.sources,
      live: fields.live,
    },
  };
}

/**
 * The checks that need every entry: ids are unique; each `related` id names another entry, once; no title or
 * alias key (see `matchKeys`) is claimed by two entries, so every name finds exactly one entry. `fileIds` are
 * the ids of every file, including those that failed to parse, so a link to a broken file is not reported
 * as a second problem.
 */
export function checkEntrySet(
  entries: readonly GlossaryEntry[],
  fileIds: Iterable<string> = entries.map((entry) => entry.id),
): string[] {
  const problems: string[] = [];
  const seenIds = new Set<string>();
  for (const entry of entries) {
    if (seenIds.has(entry.id)) problems.push(`${entry.id}.md: id: "${entry.id}" is used by two entries`);
    seenIds.add(entry.id);
  }
  const ids = new Set([...seenIds, ...fileIds]);

  const claims = new Map<string, { id: string; field: string; name: string }>();
  for (const entry of entries) {
    const file = `${entry.id}.md`;
    const seen = new Set<string>();
    for (const [index, related] of entry.related.entries()) {
      const field = `related[${index}]`;
      if (related === entry.id) problems.push(`${file}: ${field}: "${related}" is the entry itself`);
      else if (!ids.has(related)) problems.push(`${file}: ${field}: "${related}" is not an entry (no ${related}.md)`);
      else if (seen.has(related)) problems.push(`${file}: ${field}: "${related}" is listed twice`);
      seen.add(related);
    }

    const names = [
      { field: 'title', name: entry.title },
      ...entry.aliases.map((name, index) => ({ field: `aliases[${index}]`, name })),
    ];
    for (const { field, name } of names) {
      for (const key of matchKeys(name)) {
        const claim = claims.get(key);
        if (claim === undefined) claims.set(key, { id: entry.id, field, name });
        else if (claim.id !== entry.id) {
          problems.push(
            `${file}: ${field}: "${name}" (as "${key}") is also claimed by ${claim.id}.md ${claim.field} "${claim.name}"`,
          );
        }
      }
    }
  }
  return problems;
}

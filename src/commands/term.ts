import type { CommandDefinition } from './command.js';
import { booleanArg, stringArg } from './command.js';
import { userError } from './errors.js';
import { reply } from './reply.js';
import { liveLine } from './live.js';
import { fitText } from './text.js';
import type { GlossaryEntry } from '../glossary/types.js';

/** A section longer than this is cut at a sentence in the compact form; `--full` shows it whole. */
const COMPACT_SECTION_CHARS = 700;

function entryData(entry: GlossaryEntry) {
  return {
    id: entry.id,
    title: entry.title,
    aliases: entry.aliases,
    topic: entry.topic,
    short: entry.short,
    explanation: entry.explanation,
    formula: entry.formula,
    example: entry.example,
    related: entry.related,
    sources: entry.sources,
  };
}

export const termCommand: CommandDefinition = {
  name: 'term',
  description: 'Look up a term of the deleveraging glossary',
  usage: 'term <query> [--full]',
  options: [
    {
      name: 'query',
      description: 'a term, an abbreviation or a question',
      type: 'string',
      required: true,
      maxLength: 200,
      autocomplete: 'term',
      rest: true,
    },
    { name: 'full', description: 'show the whole entry with its explanation and sources', type: 'boolean' },
  ],
  run(args, { services, now }) {
    const query = stringArg(args, 'query') ?? '';
    const full = booleanArg(args, 'full');
    const result = services.glossary.lookup(query);
    if (result.kind === 'miss') {
      return userError('unknownTerm', { query, suggestions: result.suggestions.map((s) => s.title).join(', ') });
    }
    const { entry } = result;
    const pointer = `(full entry: term ${entry.id} --full)`;
    const section = (text: string): string => (full ? text : fitText(text, COMPACT_SECTION_CHARS, pointer));
    const parts = [entry.short];
    if (full) parts.push(entry.explanation);
    if (entry.formula !== null) parts.push(`Formula\n${section(entry.formula)}`);
    parts.push(`Example\n${section(entry.example)}`);
    if (result.matchedBy === 'fulltext' && result.alternatives.length > 0) {
      parts.push(`Also see: ${result.alternatives.map((a) => a.title).join(', ')}`);
    }
    const live = entry.live === null ? null : liveLine(entry.live, services, now);
    const related = entry.related.map((id) => services.glossary.byId(id)).filter((e) => e !== undefined);
    return reply(entry.title, parts.join('\n\n'), {
      fields: live === null ? [] : [{ name: 'Now', value: live }],
      links: [
        ...related.map((r) => ({ label: r.title, command: `term ${r.id}` })),
        ...(full ? entry.sources.map((s) => ({ label: s.title, url: s.url })) : []),
      ],
      more: `term ${entry.id} --full`,
      data: { matchedBy: result.matchedBy, entry: entryData(entry), live },
    });
  },
};

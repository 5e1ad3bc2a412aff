// Renders a Reply as plain text for the terminal (CLI and console adapter).
import type { Reply } from '../commands/reply.js';
import { fitText } from '../commands/text.js';

const LEVEL_MARK: Record<Reply['level'], string> = {
  info: '',
  calm: '[calm] ',
  elevated: '[elevated] ',
  warning: '[WARNING] ',
  critical: '[CRITICAL] ',
  error: '',
};

export interface TextOptions {
  /** Cut the body at a sentence beyond this many characters, pointing at `reply.more`. */
  maxBodyChars?: number;
}

export function renderText(reply: Reply, options: TextOptions = {}): string {
  const lines = [`${LEVEL_MARK[reply.level]}${reply.title}`];
  const body =
    options.maxBodyChars === undefined
      ? reply.body
      : fitText(reply.body, options.maxBodyChars, reply.more ? `(more: ${reply.more})` : '');
  if (body) lines.push('', body);
  for (const field of reply.fields) lines.push('', `${field.name}:`, field.value);
  const related = reply.links.filter((l) => l.command !== undefined).map((l) => l.label);
  if (related.length > 0) lines.push('', `Related: ${related.join(', ')}`);
  const sources = reply.links.filter((l) => l.url !== undefined);
  if (sources.length > 0) lines.push('', 'Sources:', ...sources.map((s) => `- ${s.label}: ${s.url ?? ''}`));
  if (reply.image) lines.push('', `[image: ${reply.image.alt}]`);
  return lines.join('\n');
}

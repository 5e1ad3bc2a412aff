// Renders a Reply as Telegram HTML (parse_mode "HTML"): escapes &, < and >, bolds the title and field names,
// and splits at line boundaries into several messages when the text passes Telegram's 4096 characters.
import type { Reply, ReplyLevel } from '../commands/reply.js';
import { cutIndex } from '../commands/text.js';

export const TELEGRAM_MESSAGE_LIMIT = 4096;

const LEVEL_MARK: Record<ReplyLevel, string> = {
  info: '',
  calm: '🟢 ',
  elevated: '🟡 ',
  warning: '🟠 ',
  critical: '🔴 ',
  error: '⚠️ ',
};

/** Escapes the three characters Telegram's HTML parser requires escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

function command(text: string): string {
  return `/${text.replace(/^\//, '')}`;
}

export function renderTelegramLines(reply: Reply): string[] {
  const lines = [`${LEVEL_MARK[reply.level]}<b>${escapeHtml(reply.title)}</b>`];
  if (reply.body) lines.push('', ...escapeHtml(reply.body).split('\n'));
  for (const field of reply.fields)
    lines.push('', `<b>${escapeHtml(field.name)}</b>`, ...escapeHtml(field.value).split('\n'));
  const related = reply.links.filter((l) => l.command !== undefined);
  if (related.length > 0) {
    lines.push(
      '',
      `Related: ${related.map((l) => `${escapeHtml(l.label)} ${escapeHtml(command(l.command ?? ''))}`).join(', ')}`,
    );
  }
  const sources = reply.links.filter((l) => l.url !== undefined && l.command === undefined);
  if (sources.length > 0) {
    lines.push('', 'Sources:');
    for (const s of sources) lines.push(`• <a href="${escapeAttribute(s.url ?? '')}">${escapeHtml(s.label)}</a>`);
  }
  return lines;
}

/** Cuts one over-long line at spaces (never inside an `&...;` entity or a grapheme) into pieces of at most `max` characters. */
function splitLongLine(line: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let at = rest.lastIndexOf(' ', max);
    if (at <= 0) {
      at = max;
      const amp = rest.lastIndexOf('&', at);
      if (amp > at - 8 && amp > 0 && rest.indexOf(';', amp) >= at) at = amp;
      // Nor inside an emoji: half a surrogate pair makes the message invalid UTF-8.
      at = cutIndex(rest, at);
    }
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^ /, '');
  }
  pieces.push(rest);
  return pieces;
}

/** The reply as one or more Telegram messages, each at most `max` characters, split between lines. */
export function renderTelegramHtml(reply: Reply, max = TELEGRAM_MESSAGE_LIMIT): string[] {
  const messages: string[] = [];
  let current = '';
  for (const line of renderTelegramLines(reply).flatMap((l) => splitLongLine(l, max))) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (next.length <= max) {
      current = next;
      continue;
    }
    if (current.trim() !== '') messages.push(current.trimEnd());
    current = line;
  }
  if (current.trim() !== '') messages.push(current.trimEnd());
  return messages;
}

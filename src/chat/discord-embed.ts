// Renders a Reply as one Discord embed within Discord's limits: title 256, description 4096, 25 fields of
// name 256 / value 1024, 6000 characters in all. A body that does not fit is cut at a sentence and points at
// `reply.more`. Command links render as `/term <id>`.
import type { Reply, ReplyLevel } from '../commands/reply.js';
import { fitText } from '../commands/text.js';

export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

export const LEVEL_COLOURS: Record<ReplyLevel, number> = {
  info: 0x5865f2,
  calm: 0x57f287,
  elevated: 0xfee75c,
  warning: 0xe67e22,
  critical: 0xed4245,
  error: 0x99aab5,
};

/** The subset of Discord's embed object we send. */
export interface DiscordEmbed {
  title: string;
  description?: string;
  color: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  image?: { url: string };
}

/**
 * Escapes Discord markdown so text shows as typed: `*`, `_`, `~`, `` ` ``, `|`, line-start headings and quotes,
 * and what could turn into a link or a mention: `[text](url)` (a masked link can hide where it points) and
 * `<...>` (`<@id>`, `<#id>`, `<@&id>`, `<t:...>`, `<https://...>`). A bare URL stays a visible link.
 */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/([\\*_~`|[\]<])/g, '\\$1').replace(/^(#{1,3} |> |-# )/gm, '\\$1');
}

/** A command written the way a Discord user types it. */
export function slashCommand(command: string): string {
  return `/${command.replace(/^\//, '')}`;
}

function cut(text: string, max: number): string {
  return fitText(text, max, '').replace(/ … $/, ' …');
}

function embedLength(embed: DiscordEmbed): number {
  return (
    embed.title.length +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0)
  );
}

export function renderDiscordEmbed(reply: Reply): DiscordEmbed {
  const pointer = reply.more ? `(more: ${slashCommand(reply.more)})` : '';
  const title = cut(reply.title, DISCORD_LIMITS.title) || '\u200b';
  const linkLines: string[] = [];
  const related = reply.links.filter((l) => l.command !== undefined);
  if (related.length > 0) {
    linkLines.push(`Related: ${related.map((l) => `${l.label} \`${slashCommand(l.command ?? '')}\``).join(', ')}`);
  }
  const sources = reply.links.filter((l) => l.url !== undefined && l.command === undefined);
  for (const s of sources) linkLines.push(`[${escapeDiscordMarkdown(s.label.replace(/[[\]]/g, ''))}](${s.url ?? ''})`);
  const tail = linkLines.length > 0 ? `\n\n${linkLines.join('\n')}` : '';

  const allFields = reply.fields.map((f) => ({
    name: cut(f.name, DISCORD_LIMITS.fieldName) || '\u200b',
    value: cut(escapeDiscordMarkdown(f.value), DISCORD_LIMITS.fieldValue) || '\u200b',
    ...(f.inline ? { inline: true } : {}),
  }));
  const fields = allFields.slice(0, DISCORD_LIMITS.fields);
  const footerParts: string[] = [];
  if (allFields.length > fields.length) footerParts.push(`${allFields.length - fields.length} more not shown`);

  const embed: DiscordEmbed = { title, color: LEVEL_COLOURS[reply.level] };
  if (fields.length > 0) embed.fields = fields;
  if (reply.image) embed.image = { url: `attachment://${reply.image.filename}` };

  // The description gets what the title, fields and footer leave of the 6000 characters.
  const setFooter = (): void => {
    if (footerParts.length > 0) embed.footer = { text: cut(footerParts.join(' · '), DISCORD_LIMITS.footer) };
    else delete embed.footer;
  };
  setFooter();
  const budgetFor = (): number =>
    Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - embedLength({ ...embed, description: '' }));
  let budget = budgetFor();
  while (budget < 200 && embed.fields && embed.fields.length > 0) {
    embed.fields.pop();
    footerParts[0] = `${allFields.length - embed.fields.length} more not shown`;
    setFooter();
    budget = budgetFor();
  }
  const body = escapeDiscordMarkdown(reply.body);
  const full = body + tail;
  const keepTail = tail.length <= budget / 3 ? tail : '';
  const description = full.length <= budget ? full : fitText(body, budget - keepTail.length, pointer) + keepTail;
  if (description.length > 0) embed.description = description;
  if (embed.fields?.length === 0) delete embed.fields;
  return embed;
}

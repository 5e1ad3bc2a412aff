import { describe, expect, it } from 'vitest';
import { reply } from '../../src/commands/reply.js';
import {
  DISCORD_LIMITS,
  LEVEL_COLOURS,
  escapeDiscordMarkdown,
  renderDiscordEmbed,
} from '../../src/chat/discord-embed.js';
import { escapeHtml, renderTelegramHtml, TELEGRAM_MESSAGE_LIMIT } from '../../src/chat/telegram-html.js';

const sentence = (i: number): string => `Sentence number ${i} explains one more thing about leverage.`;
const longBody = (n: number): string => Array.from({ length: n }, (_, i) => sentence(i)).join(' ');

function embedTotal(e: ReturnType<typeof renderDiscordEmbed>): number {
  return (
    e.title.length +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.fields ?? []).reduce((s, f) => s + f.name.length + f.value.length, 0)
  );
}

describe('the Discord embed renderer', () => {
  it('colours the embed by the reply level', () => {
    expect(renderDiscordEmbed(reply('t', 'b', { level: 'critical' })).color).toBe(LEVEL_COLOURS.critical);
    expect(renderDiscordEmbed(reply('t', 'b', { level: 'calm' })).color).toBe(LEVEL_COLOURS.calm);
  });

  it('cuts a long body at a sentence and points at reply.more as a slash command', () => {
    const embed = renderDiscordEmbed(reply('Funding rate', longBody(200), { more: 'term funding-rate --full' }));
    expect(embed.description?.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(embed.description).toMatch(/leverage\. … \(more: \/term funding-rate --full\)$/);
  });

  it('keeps title, fields and the whole embed within Discord limits', () => {
    const fields = Array.from({ length: 40 }, (_, i) => ({
      name: `Field ${i} ${'n'.repeat(300)}`,
      value: longBody(40),
    }));
    const embed = renderDiscordEmbed(reply('T'.repeat(400), longBody(200), { fields }));
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of embed.fields ?? []) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    expect(embedTotal(embed)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    expect(embed.footer?.text).toMatch(/more not shown/);
  });

  it('renders command links as /term <id> and escapes markdown in the body', () => {
    const embed = renderDiscordEmbed(
      reply('Leverage', 'Use 2*3_x', { links: [{ label: 'Margin', command: 'term margin' }] }),
    );
    expect(embed.description).toContain('Use 2\\*3\\_x');
    expect(embed.description).toContain('Margin `/term margin`');
  });
});

describe('Discord markdown escaping', () => {
  it('leaves no masked link, mention or timestamp for Discord to render from echoed text', () => {
    const echoed = escapeDiscordMarkdown(
      'see [docs](https://evil.example) <@123> <#456> <t:1700000000:R> <https://x.y>',
    );
    expect(echoed).toBe('see \\[docs\\](https://evil.example) \\<@123> \\<#456> \\<t:1700000000:R> \\<https://x.y>');
  });

  it('still renders a source as a masked link, its label cleaned of brackets and escaped', () => {
    const embed = renderDiscordEmbed(
      reply('Term', 'Body', {
        links: [{ label: 'Binance [FAQ] *new*', url: 'https://www.binance.com/en/support/faq' }],
      }),
    );
    expect(embed.description).toContain('[Binance FAQ \\*new\\*](https://www.binance.com/en/support/faq)');
  });
});

describe('the Telegram HTML renderer', () => {
  it('escapes &, < and > in title, body and fields', () => {
    const [message] = renderTelegramHtml(
      reply('P&L <big>', 'a < b && c > d', { fields: [{ name: '<f>', value: 'x & y' }] }),
    );
    expect(message).toContain('<b>P&amp;L &lt;big&gt;</b>');
    expect(message).toContain('a &lt; b &amp;&amp; c &gt; d');
    expect(message).toContain('<b>&lt;f&gt;</b>\nx &amp; y');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('renders command links as /term <id>', () => {
    const [message] = renderTelegramHtml(
      reply('Leverage', 'Body', { links: [{ label: 'Margin', command: 'term margin' }] }),
    );
    expect(message).toContain('Related: Margin /term margin');
  });

  it('splits a long reply at line boundaries into messages of at most 4096 characters', () => {
    const body = Array.from({ length: 300 }, (_, i) => `Line ${i}: ${'x'.repeat(40)} & more`).join('\n');
    const messages = renderTelegramHtml(reply('Many lines', body));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
    const lines = messages.flatMap((m) => m.split('\n'));
    expect(lines.filter((l) => l.startsWith('Line ')).length).toBe(300);
    expect(lines.every((l) => !l.startsWith('Line ') || l.endsWith('&amp; more'))).toBe(true);
  });

  it('cuts a single over-long line without spaces between emoji, never inside one', () => {
    const messages = renderTelegramHtml(reply('Emoji', `x${'😀'.repeat(3000)}`));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
      expect(/\p{Cs}/u.test(m)).toBe(false);
    }
  });

  it('cuts a single over-long line at spaces, never inside an entity', () => {
    const body = Array.from({ length: 2000 }, () => 'a&b').join(' ');
    const messages = renderTelegramHtml(reply('One line', body));
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
      expect(m).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
  });
});

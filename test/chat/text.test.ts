import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/chat/text.js';
import { reply } from '../../src/commands/reply.js';

describe('renderText', () => {
  it('prints title, body, fields, related commands and sources in that order', () => {
    const text = renderText(
      reply('Funding rate', 'Paid between longs and shorts.', {
        fields: [{ name: 'Now', value: 'BTC +0.010% per 8 h' }],
        links: [
          { label: 'Basis', command: 'term basis' },
          { label: 'Binance FAQ', url: 'https://www.binance.com/en/support/faq' },
        ],
      }),
    );
    expect(text).toBe(
      [
        'Funding rate',
        '',
        'Paid between longs and shorts.',
        '',
        'Now:',
        'BTC +0.010% per 8 h',
        '',
        'Related: Basis',
        '',
        'Sources:',
        '- Binance FAQ: https://www.binance.com/en/support/faq',
      ].join('\n'),
    );
  });

  it('marks warning and critical levels on the title line', () => {
    expect(renderText(reply('ETH', '', { level: 'critical' })).split('\n')[0]).toBe('[CRITICAL] ETH');
  });

  it('cuts a long body at a sentence and points at the rest', () => {
    const body = 'One sentence here. '.repeat(50).trim();
    const text = renderText(reply('Long', body, { more: 'term long --full' }), { maxBodyChars: 100 });
    expect(text).toContain('… (more: term long --full)');
    expect(text.split('\n')[2]?.length).toBeLessThanOrEqual(100);
  });
});

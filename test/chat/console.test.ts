import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startConsoleAdapter } from '../../src/chat/console.js';
import { commands } from '../../src/commands/index.js';
import { reply } from '../../src/commands/reply.js';
import { fakeGlossary, glossaryEntry } from '../commands/fakeGlossary.js';

function startWithInput() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const failures: string[] = [];
  const adapter = startConsoleAdapter({
    input,
    output,
    prompt: false,
    context: () => ({
      services: { glossary: fakeGlossary([glossaryEntry({ id: 'insurance-fund', title: 'Insurance fund' })]) },
      now: 0,
      caller: { platform: 'console', canManageSubscriptions: true },
      commands,
    }),
    reportFailure: (_error, command) => failures.push(command),
  });
  return { input, adapter, printed: () => printed, failures };
}

describe('console adapter', () => {
  it('answers each typed line in order and ends with its input', async () => {
    const { input, adapter, printed } = startWithInput();
    input.write('term insurance fund\n');
    input.write('/terms\n');
    input.write('\n');
    input.end('bogus\n');
    await adapter.closed;
    const text = printed();
    expect(text.indexOf('Insurance fund\n\nShort definition')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('Glossary')).toBeGreaterThan(text.indexOf('Insurance fund'));
    expect(text).toContain('There is no command "bogus"');
  });

  it('prints alerts posted to it', async () => {
    const { input, adapter, printed } = startWithInput();
    adapter.post(reply('BTC/USDT:USDT on binanceusdm: warning', 'Open interest +18% in 4 h.', { level: 'warning' }));
    input.end();
    await adapter.closed;
    expect(printed()).toContain('[WARNING] BTC/USDT:USDT on binanceusdm: warning');
  });
});

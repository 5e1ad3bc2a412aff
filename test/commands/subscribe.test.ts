import { describe, expect, it } from 'vitest';
import type { Caller, CommandContext } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { commands } from '../../src/commands/index.js';
import { marketFilter } from '../../src/commands/subscribe.js';
import type { Subscription, SubscriptionInput, SubscriptionStore } from '../../src/domain/ports.js';
import { fakeGlossary } from './fakeGlossary.js';

/** A hand-written fake of the SubscriptionStore port. */
function memoryStore(): SubscriptionStore & { all: Map<string, Subscription> } {
  const all = new Map<string, Subscription>();
  const key = (c: { platform: string; id: string }) => `${c.platform}:${c.id}`;
  return {
    all,
    upsert(input: SubscriptionInput) {
      const s: Subscription = { id: all.size + 1, ...input, paused: false, pausedReason: null };
      all.set(key(input.chat), s);
      return s;
    },
    remove: (chat) => all.delete(key(chat)),
    forChat: (chat) => all.get(key(chat)),
    active: () => [...all.values()].filter((s) => !s.paused),
    pause: () => undefined,
    moveChat: () => undefined,
  };
}

function run(line: string[], caller: Partial<Caller>, store = memoryStore()) {
  const [name = '', ...words] = line;
  const context: CommandContext = {
    services: { glossary: fakeGlossary([]), subscriptions: store },
    now: 42,
    caller: { platform: 'telegram', canManageSubscriptions: true, chat: { platform: 'telegram', id: '-1' }, ...caller },
    commands,
  };
  return { store, answer: dispatch({ name, kind: 'words', words }, context, () => undefined) };
}

describe('the subscribe command', () => {
  it('reads a market the way traders type it', () => {
    expect(['BTC', 'btcusdt', 'BTC-PERP', 'BTC/USDT:USDT', 'eth_usdc'].map(marketFilter)).toEqual([
      'BTC',
      'BTC',
      'BTC',
      'BTC',
      'ETH',
    ]);
    expect(marketFilter('binanceusdm:BTC/USDT:USDT')).toBe('binanceusdm:BTC/USDT:USDT');
  });

  it('subscribes the calling chat to all markets from warning by default', async () => {
    const { store, answer } = run(['subscribe'], { userId: '9' });
    const subscribed = await answer;
    expect(subscribed.title).toBe('Subscribed');
    // It says that small coins reach it only when critical, and how to hear one at every level.
    expect(subscribed.body).toContain('smaller ones when critical; name a coin to hear it all');
    expect(store.forChat({ platform: 'telegram', id: '-1' })).toMatchObject({
      markets: null,
      minLevel: 'warning',
      regimes: null,
      createdBy: '9',
      createdAt: 42,
    });
  });

  it('takes a level alone as the minimum level, and regimes as a filter', async () => {
    const { store, answer } = run(['subscribe', 'critical'], {});
    await answer;
    expect(store.forChat({ platform: 'telegram', id: '-1' })?.minLevel).toBe('critical');
    const second = run(['subscribe', 'btc,eth', 'elevated', 'unwinding,loaded'], {}, store);
    await second.answer;
    expect(store.forChat({ platform: 'telegram', id: '-1' })).toMatchObject({
      markets: ['BTC', 'ETH'],
      minLevel: 'elevated',
      regimes: ['unwinding', 'loaded'],
    });
  });

  it('refuses an unknown level or regime with the choices', async () => {
    expect((await run(['subscribe', 'all', 'panic'], {}).answer).error?.id).toBe('invalidChoice');
    expect((await run(['subscribe', 'all', 'warning', 'sideways'], {}).answer).error?.id).toBe('invalidChoice');
  });

  it('is refused to a caller who may not manage the chat, and explains where there is no chat', async () => {
    expect((await run(['subscribe'], { canManageSubscriptions: false }).answer).error?.id).toBe('notPermitted');
    expect((await run(['unsubscribe'], { canManageSubscriptions: false }).answer).error?.id).toBe('notPermitted');
    const noChat = run(['subscriptions'], { chat: undefined, platform: 'cli' });
    expect((await noChat.answer).error?.id).toBe('noData');
  });

  it('lets anyone read the subscription, and unsubscribe removes it', async () => {
    const { store, answer } = run(['subscribe', 'BTC'], {});
    await answer;
    expect((await run(['subscriptions'], { canManageSubscriptions: false }, store).answer).body).toContain(
      'Markets: BTC',
    );
    expect((await run(['unsubscribe'], {}, store).answer).title).toBe('Unsubscribed');
    expect((await run(['subscriptions'], {}, store).answer).title).toBe('No subscription');
  });
});

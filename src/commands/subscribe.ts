// /subscribe, /unsubscribe and /subscriptions: this chat's alert subscription, read and written through the
// SubscriptionStore port. The chat comes from the caller; the platform adapters check who may change it.
import {
  ALERT_LEVELS,
  MARKET_REGIMES,
  type AlertLevel,
  type MarketRegime,
  type Subscription,
} from '../domain/ports.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { stringArg } from './command.js';
import { userError } from './errors.js';
import { reply, type Reply } from './reply.js';
import { parseMarketQuery } from './symbols.js';

const SUBSCRIBABLE_LEVELS = ALERT_LEVELS.filter((l) => l !== 'calm');
const DEFAULT_MIN_LEVEL: AlertLevel = 'warning';
const MAX_MARKETS = 25;

/**
 * Turns what a user typed for a market into a filter: a full key (`binanceusdm:BTC/USDT:USDT`) is kept, anything
 * else becomes its base in capitals (`btcusdt`, `BTC-PERP`, `BTC/USDT:USDT` → `BTC`).
 */
export function marketFilter(typed: string): string {
  const text = typed.trim();
  if (/^[a-z0-9]+:[^:]+\/[^:]+/i.test(text)) return text.replace(/^[^:]+/, (exchange) => exchange.toLowerCase());
  const { base } = parseMarketQuery(text);
  return base === '' ? text.toUpperCase() : base;
}

function describe(subscription: Subscription): string {
  // The alert rules' tiering (src/alerts): a chat should know why a small coin's warning does not reach it.
  const markets =
    subscription.markets === null
      ? 'all markets (coins of 1% of open interest or more at every level, smaller ones when critical; name a coin to hear it all)'
      : subscription.markets.join(', ');
  const regimes = subscription.regimes === null ? 'any regime' : subscription.regimes.join(', ');
  return `Markets: ${markets}\nLevel: ${subscription.minLevel} and above\nRegimes: ${regimes}`;
}

function subscriptionData(subscription: Subscription) {
  return {
    platform: subscription.chat.platform,
    chatId: subscription.chat.id,
    markets: subscription.markets,
    minLevel: subscription.minLevel,
    regimes: subscription.regimes,
    createdBy: subscription.createdBy,
    createdAt: subscription.createdAt,
    paused: subscription.paused,
    pausedReason: subscription.pausedReason,
  };
}

/** The store and the chat, or the reply that says why there are none. */
function target(context: CommandContext):
  | {
      ok: true;
      store: NonNullable<CommandContext['services']['subscriptions']>;
      chat: NonNullable<CommandContext['caller']['chat']>;
    }
  | { ok: false; reply: Reply } {
  const store = context.services.subscriptions;
  if (!store)
    return {
      ok: false,
      reply: userError('noData', { what: 'Alert subscriptions are not available: no store is open.' }),
    };
  const chat = context.caller.chat;
  if (!chat) {
    return {
      ok: false,
      reply: userError('noData', {
        what: 'Subscriptions belong to a chat: use this command in a Discord channel or a Telegram chat.',
      }),
    };
  }
  return { ok: true, store, chat };
}

export const subscribeCommand: CommandDefinition = {
  name: 'subscribe',
  description: 'Send this chat alerts for some markets (or all) from a risk level up',
  usage: 'subscribe [symbols|all] [min-level] [regimes]',
  requires: ['manageSubscriptions'],
  options: [
    {
      name: 'symbols',
      description: 'markets, comma-separated (BTC,ETH), or all',
      type: 'string',
      maxLength: 200,
      autocomplete: 'symbol',
    },
    {
      name: 'min-level',
      description: `the lowest level to alert: ${SUBSCRIBABLE_LEVELS.join(', ')} (default ${DEFAULT_MIN_LEVEL})`,
      type: 'string',
      choices: SUBSCRIBABLE_LEVELS,
    },
    {
      name: 'regimes',
      description: `only in these regimes, comma-separated: ${MARKET_REGIMES.join(', ')}`,
      type: 'string',
      maxLength: 60,
    },
  ],
  run(args, context) {
    const found = target(context);
    if (!found.ok) return found.reply;
    let symbols = stringArg(args, 'symbols');
    let minLevel = stringArg(args, 'min-level') as AlertLevel | undefined;
    // `/subscribe critical` means every market from critical up.
    if (
      symbols !== undefined &&
      minLevel === undefined &&
      (SUBSCRIBABLE_LEVELS as readonly string[]).includes(symbols.toLowerCase())
    ) {
      minLevel = symbols.toLowerCase() as AlertLevel;
      symbols = undefined;
    }
    const words = (symbols ?? 'all').split(/[,\s]+/).filter((w) => w !== '');
    const markets = words.some((w) => w.toLowerCase() === 'all') ? null : [...new Set(words.map(marketFilter))];
    if (markets !== null && markets.length > MAX_MARKETS) {
      return userError('outOfRange', { option: 'symbols', min: 1, max: MAX_MARKETS, value: markets.length });
    }
    const known = context.services.market?.markets();
    if (markets !== null && known && known.length > 0) {
      const unknown = markets.filter(
        (m) => !known.some((k) => k.base.toUpperCase() === m || `${k.exchange}:${k.symbol}` === m),
      );
      const first = unknown[0];
      if (first !== undefined) return userError('unknownSymbol', { symbol: first });
    }
    const regimeText = stringArg(args, 'regimes');
    let regimes: MarketRegime[] | null = null;
    if (regimeText !== undefined && regimeText.toLowerCase() !== 'all') {
      const typed = regimeText
        .toLowerCase()
        .split(/[,\s]+/)
        .filter((w) => w !== '');
      const bad = typed.find((r) => !(MARKET_REGIMES as readonly string[]).includes(r));
      if (bad !== undefined)
        return userError('invalidChoice', { option: 'regimes', choices: MARKET_REGIMES.join(', ') });
      regimes = [...new Set(typed)] as MarketRegime[];
    }
    const subscription = found.store.upsert({
      chat: found.chat,
      markets,
      minLevel: minLevel ?? DEFAULT_MIN_LEVEL,
      regimes,
      createdBy: context.caller.userId ?? null,
      createdAt: context.now,
    });
    return reply('Subscribed', `This chat will get alerts.\n${describe(subscription)}`, {
      level: 'info',
      more: 'unsubscribe stops them',
      links: [{ label: 'Risk levels', command: 'help subscribe' }],
      data: subscriptionData(subscription),
    });
  },
};

export const unsubscribeCommand: CommandDefinition = {
  name: 'unsubscribe',
  description: 'Stop the alerts in this chat',
  usage: 'unsubscribe',
  requires: ['manageSubscriptions'],
  options: [],
  run(_args, context) {
    const found = target(context);
    if (!found.ok) return found.reply;
    const removed = found.store.remove(found.chat);
    return reply(
      removed ? 'Unsubscribed' : 'Not subscribed',
      removed ? 'This chat will get no more alerts.' : 'This chat had no subscription.',
      { data: { removed } },
    );
  },
};

export const subscriptionsCommand: CommandDefinition = {
  name: 'subscriptions',
  description: "Show this chat's alert subscription",
  usage: 'subscriptions',
  options: [],
  run(_args, context) {
    const found = target(context);
    if (!found.ok) return found.reply;
    const subscription = found.store.forChat(found.chat);
    if (!subscription) {
      return reply(
        'No subscription',
        'This chat gets no alerts. Subscribe with "subscribe [symbols|all] [min-level]".',
        {
          data: { subscription: null },
        },
      );
    }
    const state = subscription.paused ? `\nPaused: ${subscription.pausedReason ?? 'yes'}` : '';
    return reply('Subscription', `${describe(subscription)}${state}`, {
      data: { subscription: subscriptionData(subscription) },
    });
  },
};

// What a command is: its definition (name, options, checks) and its handler, written once for every platform.
import type { ChatRef, MarketDataReader, SubscriptionStore, VenueHealthReader } from '../domain/ports.js';
import type { Glossary } from '../glossary/types.js';
import type { RiskCycle } from '../risk/cycle.js';
import type { ExchangeId, LeverageTier } from '../domain/market.js';
import type { Reply, ReplyImage } from './reply.js';
import type { CascadeEstimate } from '../risk/cascade.js';
import type { MarketHistory } from '../domain/market.js';

export type OptionValue = string | number | boolean;

export interface OptionSpec {
  name: string;
  description: string;
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  /** For strings: the longest accepted value, in characters. */
  maxLength?: number;
  /** For numbers: the accepted range, inclusive. */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** What a platform may offer while the user types. */
  autocomplete?: 'term' | 'symbol' | 'topic';
  /** In text form (CLI, Telegram, console) the last string option takes every remaining word. */
  rest?: boolean;
}

/** Who is asking, as far as checks need to know. */
export interface Caller {
  platform: 'cli' | 'console' | 'discord' | 'telegram';
  /** Whether the caller may change this chat's subscriptions (Manage Channels, chat admin, or a private chat). */
  canManageSubscriptions: boolean;
  /** The chat the command was sent in (absent on the CLI); subscription commands act on it. */
  chat?: ChatRef;
  /** The platform's id of the user, when known (recorded as a subscription's creator). */
  userId?: string;
}

/** The read-only services commands use. Optional ones are absent until their part of the app is running. */
export interface Services {
  glossary: Glossary;
  market?: MarketDataReader;
  health?: VenueHealthReader;
  /** The latest pass of the risk engine, when the bot runs one; commands compute their own otherwise. */
  risk?: RiskReader;
  /** Public leverage tiers of a market, when the market module has read them. */
  leverageTiers?: (exchange: ExchangeId, symbol: string) => readonly LeverageTier[] | undefined;
  /** This bot's alert subscriptions, when a store is open. */
  subscriptions?: SubscriptionStore;
  /** Draws charts for replies (PNG), when the process can render them; replies carry no image otherwise. */
  charts?: ChartRenderer;
}

export interface RiskReader {
  latest(): RiskCycle | undefined;
}

export interface CommandContext {
  services: Services;
  /** Epoch ms: commands never read the clock themselves. */
  now: number;
  caller: Caller;
  /** Every command, for `help`. */
  commands: readonly CommandDefinition[];
}

export type ParsedArgs = Readonly<Record<string, OptionValue | undefined>>;

export interface CommandDefinition {
  name: string;
  description: string;
  /** One line on how to call it, for help and errors, e.g. `term <query>`. */
  usage: string;
  options: readonly OptionSpec[];
  /** Checks every platform enforces before the handler runs. */
  requires?: readonly 'manageSubscriptions'[];
  /** May take longer than a chat platform's acknowledgement deadline. */
  slow?: boolean;
  run(args: ParsedArgs, context: CommandContext): Reply | Promise<Reply>;
}

/** Helps handlers read a typed argument the dispatcher has already validated. */
export function stringArg(args: ParsedArgs, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberArg(args: ParsedArgs, name: string): number | undefined {
  const value = args[name];
  return typeof value === 'number' ? value : undefined;
}

export function booleanArg(args: ParsedArgs, name: string): boolean {
  return args[name] === true;
}

/** The charts port: src/charts implements it with @napi-rs/canvas; commands only call it. */
export interface ChartRenderer {
  /** Liquidation levels around the price and the cascade's path. */
  cascade(estimate: CascadeEstimate): ReplyImage;
  /** The last 24 h of one market: price, open interest, liquidations, funding. */
  market(history: MarketHistory): ReplyImage;
}

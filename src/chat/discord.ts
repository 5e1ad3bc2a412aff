// The Discord adapter (discord.js 14, gateway, no privileged intents): slash commands → dispatch(options) →
// an embed; autocomplete for term, symbol and topic options; alerts posted to channels. Every outgoing call
// goes through the Delivery seam.
import { createHash } from 'node:crypto';
import {
  Client,
  GatewayIntentBits,
  MessageFlags,
  PermissionFlagsBits,
  Routes,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type RESTOptions,
} from 'discord.js';
import type { Caller, CommandContext, CommandDefinition, OptionValue } from '../commands/command.js';
import type { Config } from '../config/env.js';
import { dispatch, findCommand, type FailureReporter } from '../commands/dispatch.js';
import type { Reply } from '../commands/reply.js';
import { cutText } from '../commands/text.js';
import { GLOSSARY_TOPICS, type Glossary } from '../glossary/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { RESEND_WINDOW_MS } from '../store/outbox.js';
import type { Delivery, WireHooks } from './delivery.js';
import { renderDiscordEmbed } from './discord-embed.js';
import { describeError } from './errors.js';
import { wireReportingSender, type OutboxSender } from './outbox-worker.js';

export interface DiscordAdapterOptions {
  token: string;
  /** DISCORD_API_BASE, e.g. `http://127.0.0.1:8080/api`; Discord's own by default. */
  apiBase?: string;
  commands: readonly CommandDefinition[];
  /** Builds the context for one command, given who is asking. */
  context: (caller: Caller) => CommandContext;
  glossary: Glossary;
  /** Completes market symbols, when the market part is running. */
  symbols?: (prefix: string) => readonly string[];
  delivery: Delivery;
  reportFailure: FailureReporter;
  log?: Logger;
  /** A handler taking longer than this (ms) gets a deferred reply; Discord's deadline is 3 s. Default 1500. */
  deferAfterMs?: number;
  /** The gateway shards this instance runs (see discordShardsOf). Default `auto`. */
  shards?: DiscordShards;
}

/**
 * Which gateway shards one instance runs: `auto` asks /gateway/bot for Discord's recommended count and runs them
 * all; otherwise these ids out of a total over all instances.
 */
export type DiscordShards = 'auto' | { ids: readonly number[]; count: number };

/** DISCORD_SHARDS and DISCORD_SHARD_COUNT (validated together by loadConfig) as the adapter takes them. */
export function discordShardsOf(
  config: Partial<Pick<Config, 'DISCORD_SHARDS' | 'DISCORD_SHARD_COUNT'>>,
): DiscordShards {
  const shards = config.DISCORD_SHARDS ?? 'auto';
  const count = config.DISCORD_SHARD_COUNT;
  // Without a count (loadConfig requires one) the highest id closes the range, as @discordjs/ws would assume.
  if (shards !== 'auto') return { ids: shards, count: count ?? Math.max(...shards) + 1 };
  return count === undefined ? 'auto' : { ids: Array.from({ length: count }, (_, id) => id), count };
}

export interface DiscordAdapter {
  readonly client: Client;
  /** The shards this instance runs, once connected: their ids and the total over all instances. */
  readonly shards: { ids: readonly number[]; count: number };
  /** Posts an alert to a channel; `idempotencyKey` becomes the message nonce so a resend is dropped by Discord. */
  sendAlert(channelId: string, reply: Reply, options: DiscordAlertOptions): Promise<string>;
  stop(): Promise<void>;
}

/** Discord's nonce is at most 25 characters: a hash of the key. */
export function messageNonce(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 25);
}

const MAX_CHOICES = 25;
const MAX_CHOICE_NAME = 100;

function choiceName(text: string): string {
  return cutText(text, MAX_CHOICE_NAME, '…');
}

/** The part of discord.js's REST client alerts use; `signal` aborts the request (the seam's timeout). */
export interface MessagesRest {
  post(
    route: `/${string}`,
    options: {
      body: unknown;
      files?: { name: string; data: Buffer; contentType?: string }[];
      signal?: AbortSignal;
    },
  ): Promise<unknown>;
}

/**
 * discord.js REST settings for the seam to own every retry: no retries of its own, and a rate limit on channel
 * routes (alerts) thrown as RateLimitError instead of waited out inside the library, so the seam waits with the
 * message's deadline in view and holds back only that channel (or Discord, for the global limit).
 */
export const DISCORD_REST_OPTIONS: Readonly<Pick<RESTOptions, 'retries' | 'rejectOnRateLimit'>> = {
  retries: 0,
  rejectOnRateLimit: ['/channels'],
};

export interface DiscordAlertOptions {
  idempotencyKey: string;
  notAfter?: number;
  /** The outbox worker's hooks: it marks the row in flight right before each request (see delivery.ts). */
  wire?: WireHooks;
  /** When an earlier request for this alert may have arrived (requeued after a crash). */
  maybeSentAt?: number;
}

/** A reply's chart as a discord.js attachment; the embed shows it through `attachment://<filename>`. */
function imageFiles(reply: Reply): { attachment: Buffer; name: string; description: string }[] {
  return reply.image
    ? [
        {
          attachment: Buffer.from(reply.image.png),
          name: reply.image.filename,
          description: cutText(reply.image.alt, 1024),
        },
      ]
    : [];
}

/**
 * Posts an alert embed to a channel through the delivery seam. The nonce (from the idempotency key) with
 * enforce_nonce makes Discord drop a resend of a message it already created, so a request that may have arrived
 * (a timeout, a 5xx, a crash) is resent, but only within the nonce's window (RESEND_WINDOW_MS): at most once.
 */
export async function sendDiscordAlert(
  rest: MessagesRest,
  delivery: Delivery,
  channelId: string,
  reply: Reply,
  { idempotencyKey, notAfter, wire, maybeSentAt }: DiscordAlertOptions,
): Promise<string> {
  const message = (await delivery.send(
    {
      platform: 'discord',
      chatId: channelId,
      kind: 'alert',
      method: 'channel.send',
      notAfter,
      duplicateSafeMs: RESEND_WINDOW_MS.discord,
      ...(wire ? { wire } : {}),
      ...(maybeSentAt !== undefined ? { maybeSentAt } : {}),
    },
    (chat, signal) =>
      rest.post(Routes.channelMessages(chat), {
        signal,
        body: {
          embeds: [renderDiscordEmbed(reply)],
          nonce: messageNonce(idempotencyKey),
          enforce_nonce: true,
          allowed_mentions: { parse: [] },
        },
        ...(reply.image
          ? { files: [{ name: reply.image.filename, data: Buffer.from(reply.image.png), contentType: 'image/png' }] }
          : {}),
      }),
  )) as { id: string };
  return message.id;
}

/** An outbox sender for Discord alerts on a discord.js REST client (no gateway needed; see DISCORD_REST_OPTIONS). */
export function discordAlertSender(rest: MessagesRest, delivery: Delivery): OutboxSender {
  return wireReportingSender((row, _onPartSent, context) =>
    sendDiscordAlert(rest, delivery, row.chatId, row.reply, {
      idempotencyKey: row.key,
      notAfter: row.notAfter,
      ...(context ? { wire: context.wire } : {}),
      ...(context?.maybeSentAt !== undefined ? { maybeSentAt: context.maybeSentAt } : {}),
    }),
  );
}

export async function startDiscordAdapter(options: DiscordAdapterOptions): Promise<DiscordAdapter> {
  const log = (options.log ?? silentLogger).child({ platform: 'discord' });
  const deferAfterMs = options.deferAfterMs ?? 1500;
  const sharding = options.shards ?? 'auto';
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // discord.js's internal sharding (@discordjs/ws): the shards of this instance share one process, one REST
    // client and one cache. Not a ShardingManager of child processes: an instance is the unit we scale and
    // supervise, and each runs the chat side once (outbox worker included).
    ...(sharding === 'auto' ? { shards: 'auto' as const } : { shards: [...sharding.ids], shardCount: sharding.count }),
    // Our Delivery owns retries and the waits after a 429 on channel routes; discord.js keeps its route buckets.
    rest: {
      ...(options.apiBase ? { api: options.apiBase } : {}),
      ...DISCORD_REST_OPTIONS,
      globalRequestsPerSecond: 50,
    },
  });
  const delivery = options.delivery;

  const callerOf = (interaction: ChatInputCommandInteraction | AutocompleteInteraction): Caller => ({
    platform: 'discord',
    // In a guild, Manage Channels in this channel; in a DM, the user manages their own DM's alerts.
    canManageSubscriptions: interaction.inGuild()
      ? (interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels) ?? false)
      : true,
    chat: { platform: 'discord', id: interaction.channelId ?? `dm:${interaction.user.id}` },
    userId: interaction.user.id,
  });

  const onCommand = async (interaction: ChatInputCommandInteraction): Promise<void> => {
    const chatId = interaction.channelId ?? interaction.user.id;
    const send = <T>(method: string, call: () => Promise<T>): Promise<T> =>
      delivery.send(
        { platform: 'discord', chatId, kind: 'reply', method, notAfter: delivery.clock.now() + 14 * 60_000 },
        call,
      );
    const values: Record<string, OptionValue | undefined> = {};
    for (const option of interaction.options.data) {
      if (typeof option.value === 'string' || typeof option.value === 'number' || typeof option.value === 'boolean') {
        values[option.name] = option.value;
      }
    }
    const definition = findCommand(options.commands, interaction.commandName);
    const answer = dispatch(
      { name: interaction.commandName, kind: 'options', options: values },
      options.context(callerOf(interaction)),
      options.reportFailure,
    );
    // Reply at once when the handler is quick (one request); defer when it is marked slow or takes longer
    // than deferAfterMs, then edit the deferred reply (Discord's 3 s acknowledgement deadline). Errors are shown
    // to the caller only, either way.
    let deadline: NodeJS.Timeout | undefined;
    const timer = definition?.slow
      ? Promise.resolve('defer' as const)
      : new Promise<'defer'>((r) => (deadline = setTimeout(() => r('defer'), deferAfterMs)));
    const first = await Promise.race([answer, timer]);
    clearTimeout(deadline);
    if (first === 'defer') {
      // Deferred publicly, so that a slow answer (a chart) is seen by the channel as a quick one would be.
      await send('interaction.deferReply', () => interaction.deferReply());
      const reply = await answer;
      if (reply.error) {
        // A deferred reply cannot turn ephemeral, and the first follow-up would fill the public "thinking…"
        // message: remove that message, then show the error to the caller only, as a quick error is.
        await send('interaction.deleteReply', () => interaction.deleteReply());
        await send('interaction.followUp', () =>
          interaction.followUp({
            embeds: [renderDiscordEmbed(reply)],
            allowedMentions: { parse: [] },
            flags: MessageFlags.Ephemeral,
          }),
        );
        return;
      }
      await send('interaction.editReply', () =>
        interaction.editReply({ embeds: [renderDiscordEmbed(reply)], files: imageFiles(reply) }),
      );
      return;
    }
    const reply = first;
    await send('interaction.reply', () =>
      interaction.reply({
        embeds: [renderDiscordEmbed(reply)],
        files: imageFiles(reply),
        allowedMentions: { parse: [] },
        // A user's mistake or a refusal is shown to them only.
        ...(reply.error ? { flags: MessageFlags.Ephemeral } : {}),
      }),
    );
  };

  const completions = (kind: 'term' | 'symbol' | 'topic', typed: string): { name: string; value: string }[] => {
    if (kind === 'term') {
      return options.glossary.autocomplete(typed, MAX_CHOICES).map((c) => ({ name: choiceName(c.label), value: c.id }));
    }
    if (kind === 'topic') {
      return GLOSSARY_TOPICS.filter((t) => t.startsWith(typed.toLowerCase())).map((t) => ({ name: t, value: t }));
    }
    return (options.symbols?.(typed) ?? [])
      .slice(0, MAX_CHOICES)
      .map((s) => ({ name: choiceName(s), value: cutText(s, 100) }));
  };

  const onAutocomplete = async (interaction: AutocompleteInteraction): Promise<void> => {
    const focused = interaction.options.getFocused(true);
    const spec = findCommand(options.commands, interaction.commandName)?.options.find((o) => o.name === focused.name);
    const choices = spec?.autocomplete
      ? completions(spec.autocomplete, String(focused.value)).slice(0, MAX_CHOICES)
      : [];
    await delivery.send(
      {
        platform: 'discord',
        chatId: interaction.channelId ?? interaction.user.id,
        kind: 'api',
        method: 'interaction.respond',
        notAfter: delivery.clock.now() + 2500,
      },
      () => interaction.respond(choices),
    );
  };

  client.on('interactionCreate', (interaction: Interaction) => {
    const handled = interaction.isChatInputCommand()
      ? onCommand(interaction)
      : interaction.isAutocomplete()
        ? onAutocomplete(interaction)
        : Promise.resolve();
    handled.catch((error: unknown) =>
      log.error('interaction failed', { interaction: interaction.id, error: describeError(error) }),
    );
  });
  client.on('error', (error) => log.error('client error', { error: describeError(error) }));

  const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
  await client.login(options.token);
  await ready;
  // After login discord.js holds the resolved list (for `auto`, what /gateway/bot recommended).
  const { shards: runningIds, shardCount } = client.options;
  const shards = { ids: Array.isArray(runningIds) ? [...runningIds] : [], count: shardCount ?? 1 };
  log.info('connected to the gateway', { user: client.user?.id, shards: shards.ids, shardCount: shards.count });

  return {
    client,
    shards,
    sendAlert: (channelId, reply, options) => sendDiscordAlert(client.rest, delivery, channelId, reply, options),
    async stop() {
      await client.destroy();
    },
  };
}

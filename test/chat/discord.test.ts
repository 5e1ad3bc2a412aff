import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordAlertSender, startDiscordAdapter, type DiscordAdapter } from '../../src/chat/discord.js';
import { OutboxWorker } from '../../src/chat/outbox-worker.js';
import { SqliteOutbox } from '../../src/store/outbox.js';
import { chatDatabase } from './helpers.js';
import { discordCommandsJson, registerDiscordCommands } from '../../src/chat/discord-commands.js';
import { createLogger } from '../../src/log/logger.js';
import type { CommandDefinition } from '../../src/commands/command.js';
import { reply } from '../../src/commands/reply.js';
import { termCommand } from '../../src/commands/term.js';
import { DISCORD_ERRORS, FakeDiscord } from '../fakes/discord.js';
import { chatWorld, glossary } from './setup.js';

const TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-tests-only';
const APP = '1300000000000000042';
const GUILD = '1300000000000000077';
const CHANNEL = '1300000000000000100';
const MANAGE_CHANNELS = String(1 << 4);

/** A command that takes longer than the adapter waits before deferring. */
const slowCommand: CommandDefinition = {
  name: 'slowpoke',
  description: 'answers slowly',
  usage: 'slowpoke',
  options: [],
  slow: true,
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return reply('Slow answer', 'Worth the wait.');
  },
};

let fake: FakeDiscord;
let adapter: DiscordAdapter;
let world: ReturnType<typeof chatWorld>;

function command(
  name: string,
  options: { name: string; type: number; value: unknown; focused?: boolean }[],
  permissions = MANAGE_CHANNELS,
  type = 2,
) {
  return fake.interact({
    type,
    guild_id: GUILD,
    channel_id: CHANNEL,
    channel: { id: CHANNEL, type: 0, guild_id: GUILD },
    member: {
      user: { id: '1300000000000000500', username: 'trader', discriminator: '0', avatar: null, global_name: 'Trader' },
      roles: [],
      permissions,
      joined_at: '2025-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    data: { id: '1300000000000000900', name, type: 1, options },
  });
}

async function answer(name: string, options: Parameters<typeof command>[1] = [], permissions?: string) {
  const { id } = command(name, options, permissions);
  await fake.waitFor(() => fake.callbacks.some((c) => c.interactionId === id));
  const callback = fake.callbacks.find((c) => c.interactionId === id);
  const embed = (callback?.data?.embeds as { title: string; description?: string; color: number }[] | undefined)?.[0];
  return { callback, embed };
}

beforeAll(async () => {
  fake = new FakeDiscord({ token: TOKEN, applicationId: APP });
  await fake.start();
  world = chatWorld({}, [slowCommand]);
  adapter = await startDiscordAdapter({
    token: TOKEN,
    apiBase: fake.baseUrl,
    commands: world.commands,
    symbols: (prefix) => ['BTC', 'BNB', 'ETH'].filter((s) => s.startsWith(prefix.toUpperCase())),
    log: createLogger({ level: 'error', format: 'pretty' }),
    context: world.context,
    glossary,
    delivery: world.delivery,
    reportFailure: world.reportFailure,
  });
});

afterAll(async () => {
  await adapter?.stop();
  await fake?.stop();
});

describe('the Discord adapter against a fake Discord', () => {
  it('logs in through the gateway without privileged intents', () => {
    expect(fake.identifies).toHaveLength(1);
    expect(fake.identifies[0]).toMatchObject({ token: 'valid', intents: 1 });
  });

  it('answers /term with an embed', async () => {
    const { callback, embed } = await answer('term', [{ name: 'query', type: 3, value: 'Funding rate' }]);
    expect(callback?.type).toBe(4);
    expect(embed?.title).toBe('Funding rate');
    expect(embed?.description).toContain('Related: Open interest `/term open-interest`');
  });

  it('answers /terms and /help', async () => {
    expect((await answer('terms')).embed?.title).toBe('Glossary');
    expect((await answer('help')).embed?.description).toContain('subscribe');
  });

  it('shows an unknown term to the caller only', async () => {
    const { callback } = await answer('term', [{ name: 'query', type: 3, value: 'nothing like it' }]);
    expect(callback?.data?.flags).toBe(64);
  });

  it('completes /term from the glossary, at most 25 choices', async () => {
    const { id } = command('term', [{ name: 'query', type: 3, value: 'fun', focused: true }], MANAGE_CHANNELS, 4);
    await fake.waitFor(() => fake.callbacks.some((c) => c.interactionId === id));
    const callback = fake.callbacks.find((c) => c.interactionId === id);
    expect(callback?.type).toBe(8);
    expect(callback?.data?.choices).toEqual([{ name: 'Funding rate', value: 'funding-rate' }]);
  });

  it('completes symbols for /subscribe from the function it was given', async () => {
    const { id } = command('subscribe', [{ name: 'symbols', type: 3, value: 'b', focused: true }], MANAGE_CHANNELS, 4);
    await fake.waitFor(() => fake.callbacks.some((c) => c.interactionId === id));
    expect(fake.callbacks.find((c) => c.interactionId === id)?.data?.choices).toEqual([
      { name: 'BTC', value: 'BTC' },
      { name: 'BNB', value: 'BNB' },
    ]);
  });

  it('completes topics for /terms', async () => {
    const { id } = command('terms', [{ name: 'topic', type: 3, value: 'ma', focused: true }], MANAGE_CHANNELS, 4);
    await fake.waitFor(() => fake.callbacks.some((c) => c.interactionId === id));
    expect(fake.callbacks.find((c) => c.interactionId === id)?.data?.choices).toEqual([
      { name: 'margin', value: 'margin' },
      { name: 'market-structure', value: 'market-structure' },
    ]);
  });

  it('defers a slow command and then edits the deferred reply', async () => {
    const { id, token } = command('slowpoke', []);
    await fake.waitFor(() => fake.webhookMessages.some((m) => m.token === token));
    expect(fake.callbacks.find((c) => c.interactionId === id)?.type).toBe(5);
    const edit = fake.webhookMessages.find((m) => m.token === token);
    expect(edit?.kind).toBe('edit');
    expect((edit?.body.embeds as { title: string }[])[0]?.title).toBe('Slow answer');
  });

  it('shows the error of a slow command to the caller only: the public "thinking…" goes, the error follows up ephemerally', async () => {
    // /risk is slow, so it is deferred before its outcome is known; an unknown market is the caller's mistake.
    const { id, token } = command('risk', [{ name: 'symbol', type: 3, value: 'ZZQQ' }]);
    await fake.waitFor(() => fake.webhookMessages.filter((m) => m.token === token).length === 2);
    expect(fake.callbacks.find((c) => c.interactionId === id)?.type).toBe(5);
    const messages = fake.webhookMessages.filter((m) => m.token === token);
    expect(messages.map((m) => m.kind)).toEqual(['delete', 'followup']);
    expect(messages[1]?.body.flags).toBe(64);
    expect((messages[1]?.body.embeds as { title: string }[])[0]?.title).toBe('Unknown market');
  });

  it('escapes a masked link and a mention in user text it echoes', async () => {
    const typed = '[free money](https://evil.example) <@&1300000000000000777>';
    const { embed } = await answer('term', [{ name: 'query', type: 3, value: typed }]);
    expect(embed?.title).toBe('No entry');
    expect(embed?.description).toContain('\\[free money\\](https://evil.example) \\<@&1300000000000000777>');
    // Nothing unescaped is left for Discord to render as a link or a mention.
    expect(embed?.description).not.toMatch(/(?<!\\)\[free money/);
    expect(embed?.description).not.toMatch(/(?<!\\)<@/);
  });

  it('answers /risk and /cascade through a deferred reply, and /market and /status at once', async () => {
    const deferred = async (name: string, options: Parameters<typeof command>[1]) => {
      const { token } = command(name, options);
      await fake.waitFor(() => fake.webhookMessages.some((m) => m.token === token));
      return (fake.webhookMessages.find((m) => m.token === token)?.body.embeds as { title: string }[])[0]?.title;
    };
    expect(await deferred('risk', [{ name: 'symbol', type: 3, value: 'BTC' }])).toMatch(
      /^BTC\/USDT:USDT on binanceusdm: \d+\/100 /,
    );
    expect(
      await deferred('cascade', [
        { name: 'symbol', type: 3, value: 'BTC' },
        { name: 'shock', type: 10, value: 8 },
        { name: 'up', type: 5, value: true },
      ]),
    ).toBe('Cascade estimate: BTC/USDT:USDT on binanceusdm');
    expect((await answer('market', [{ name: 'symbol', type: 3, value: 'BTC' }])).embed?.title).toBe('BTC perpetuals');
    expect((await answer('status')).embed?.description).toBe('1 of 1 venue(s) healthy.');
  });

  it('refuses /subscribe to a member without Manage Channels', async () => {
    const { callback, embed } = await answer('subscribe', [], '0');
    expect(embed?.title).toBe('Not permitted');
    expect(callback?.data?.flags).toBe(64);
    expect(world.subscriptions.forChat({ platform: 'discord', id: CHANNEL })).toBeUndefined();
  });

  it('runs the subscription lifecycle: subscribe, subscriptions, unsubscribe', async () => {
    const subscribed = await answer('subscribe', [
      { name: 'symbols', type: 3, value: 'BTC,ethusdt' },
      { name: 'min-level', type: 3, value: 'critical' },
    ]);
    expect(subscribed.embed?.title).toBe('Subscribed');
    expect(world.subscriptions.forChat({ platform: 'discord', id: CHANNEL })).toMatchObject({
      markets: ['BTC', 'ETH'],
      minLevel: 'critical',
      createdBy: '1300000000000000500',
    });
    expect((await answer('subscriptions')).embed?.description).toContain('Markets: BTC, ETH');
    expect((await answer('unsubscribe')).embed?.title).toBe('Unsubscribed');
    expect(world.subscriptions.forChat({ platform: 'discord', id: CHANNEL })).toBeUndefined();
  });

  it('posts an alert to a channel with a nonce, so a resend is dropped', async () => {
    const before = fake.channelMessages.length;
    const alert = { title: 'BTC: critical', body: 'x', fields: [], links: [], level: 'critical' as const, data: null };
    await adapter.sendAlert(CHANNEL, alert, { idempotencyKey: 'a|discord:1' });
    await adapter.sendAlert(CHANNEL, alert, { idempotencyKey: 'a|discord:1' });
    expect(fake.channelMessages.length).toBe(before + 1);
    expect(fake.channelMessages.at(-1)?.body).toMatchObject({
      enforce_nonce: true,
      embeds: [{ title: 'BTC: critical', color: 0xed4245 }],
    });
  });

  it('attaches a chart to an alert and shows it in the embed', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await adapter.sendAlert(
      CHANNEL,
      { ...reply('Chart', 'b'), image: { filename: 'oi.png', png, alt: 'open interest' } },
      { idempotencyKey: 'img|discord:1' },
    );
    const body = fake.channelMessages.at(-1)?.body as { embeds: { image?: { url: string } }[] };
    expect(body.embeds[0]?.image?.url).toBe('attachment://oi.png');
  });

  it('after a crash with a send in flight, resends with the same nonce and Discord keeps one message', async () => {
    const outbox = new SqliteOutbox(chatDatabase());
    const now = Date.now();
    outbox.enqueue([
      {
        alertId: 'crash-1',
        platform: 'discord',
        chatId: CHANNEL,
        reply: reply('Crash', 'b'),
        createdAt: now,
        notAfter: now + 60_000,
      },
    ]);
    const [row] = outbox.pending('discord', 1);
    // The first process marked the row, the message reached Discord, and the process died before marking it sent.
    outbox.markAttempting(row!.id, now);
    await discordAlertSender(adapter.client.rest, world.delivery)(row!);
    const before = fake.channelMessages.length;
    expect(outbox.recoverInFlight({ now })).toEqual({ requeued: 1, unknown: 0 });
    const worker = new OutboxWorker({
      outbox,
      clock: world.delivery.clock,
      senders: { discord: discordAlertSender(adapter.client.rest, world.delivery) },
    });
    expect(await worker.drain()).toEqual({ sent: 1, failed: 0 });
    expect(fake.channelMessages.length).toBe(before);
    expect(outbox.counts()).toMatchObject({ sent: 1, pending: 0 });
  });

  it('honours retry_after on a 429 (discord.js waits, then the alert goes out)', async () => {
    fake.fail(DISCORD_ERRORS.rateLimited(0.6), /^\/channels\/\d+\/messages$/);
    const startedAt = Date.now();
    await adapter.sendAlert(
      CHANNEL,
      { title: 't', body: 'b', fields: [], links: [], level: 'warning', data: null },
      { idempotencyKey: 'b|discord:1' },
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(550);
  });

  it('removes the subscription of a deleted channel (10003) and pauses one it lost access to (50001)', async () => {
    const gone = '1300000000000000201';
    const locked = '1300000000000000202';
    for (const id of [gone, locked]) {
      world.subscriptions.upsert({
        chat: { platform: 'discord', id },
        markets: null,
        minLevel: 'warning',
        regimes: null,
        createdBy: null,
        createdAt: 1,
      });
    }
    fake.unknownChannels.add(gone);
    fake.forbiddenChannels.add(locked);
    const alert = { title: 't', body: 'b', fields: [], links: [], level: 'warning' as const, data: null };
    await expect(adapter.sendAlert(gone, alert, { idempotencyKey: 'c|g' })).rejects.toMatchObject({ id: 'chatGone' });
    await expect(adapter.sendAlert(locked, alert, { idempotencyKey: 'c|l' })).rejects.toMatchObject({ id: 'chatGone' });
    expect(world.subscriptions.forChat({ platform: 'discord', id: gone })).toBeUndefined();
    expect(world.subscriptions.forChat({ platform: 'discord', id: locked })).toMatchObject({
      paused: true,
      pausedReason: 'missingAccess',
    });
  });
});

describe('Discord command registration', () => {
  it('generates option types, limits and permissions from the command definitions', () => {
    const json = discordCommandsJson(world.commands);
    expect(json.find((c) => c.name === 'term')?.options[0]).toEqual({
      type: 3,
      name: 'query',
      description: 'a term, an abbreviation or a question',
      required: true,
      autocomplete: true,
      max_length: 200,
    });
    expect(json.find((c) => c.name === 'subscribe')?.default_member_permissions).toBe('16');
    expect(json.find((c) => c.name === 'term')?.default_member_permissions).toBeNull();
  });

  it('puts the commands when they differ, does nothing when Discord has them, and reports what changed', async () => {
    const rest = new REST({ api: fake.baseUrl, retries: 0 }).setToken(TOKEN);
    const first = await registerDiscordCommands({ rest, applicationId: APP, guildId: GUILD, commands: world.commands });
    expect(first.changed).toBe(true);
    expect(first.differences).toContain('term: added');
    const puts = () => fake.requests.filter((r) => r.method === 'PUT').length;
    const putsBefore = puts();
    const second = await registerDiscordCommands({
      rest,
      applicationId: APP,
      guildId: GUILD,
      commands: world.commands,
    });
    expect(second).toMatchObject({ changed: false, differences: [] });
    expect(puts()).toBe(putsBefore);
    const changedTerm = {
      ...termCommand,
      options: termCommand.options.map((o) => (o.name === 'query' ? { ...o, maxLength: 100 } : o)),
    };
    const third = await registerDiscordCommands({
      rest,
      applicationId: APP,
      guildId: GUILD,
      commands: world.commands.map((c) => (c.name === 'term' ? changedTerm : c)),
    });
    expect(third.differences).toEqual(['term.options[0].max_length: 200 → 100']);
    expect(puts()).toBe(putsBefore + 1);
  });
});

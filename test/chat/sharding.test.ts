// Discord sharding: DISCORD_SHARDS and DISCORD_SHARD_COUNT from the environment, through startChat, to the real
// discord.js client against a fake gateway that assigns guilds to shards as Discord does.
import { afterEach, describe, expect, it } from 'vitest';
import { startChat, type ChatRuntime } from '../../src/chat/start.js';
import { commands } from '../../src/commands/index.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { problemsOf } from '../config/problems.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeDiscord, guildIdOnShard, shardOfGuild } from '../fakes/discord.js';
import { sqliteChatStore } from '../../src/store/outbox.js';
import { chatDatabase } from './helpers.js';
import { glossary } from './setup.js';

const TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-tests-only';
const APP = '1300000000000000042';
const CHANNEL = '1300000000000000100';

/** Two guilds on each of four shards. */
const GUILDS = [0, 1, 2, 3].flatMap((shard) => [guildIdOnShard(shard, 4, 0), guildIdOnShard(shard, 4, 1)]);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeDiscord(options: { recommendedShards?: number; guilds?: readonly string[] } = {}) {
  // Enough identify concurrency that no shard waits out Discord's 5 s between identifies.
  const fake = new FakeDiscord({ token: TOKEN, applicationId: APP, maxConcurrency: 16, ...options });
  await fake.start();
  cleanups.push(() => fake.stop());
  return fake;
}

/** One bot instance as main.ts starts it: the chat side from the configuration parsed out of `env`. */
async function startInstance(fake: FakeDiscord, env: Record<string, string>): Promise<ChatRuntime> {
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_APPLICATION_ID: APP,
    DISCORD_API_BASE: fake.baseUrl,
    ...env,
  });
  const chat = await startChat({
    config,
    store: sqliteChatStore(chatDatabase()),
    glossary,
    commands,
    log: silentLogger,
  });
  cleanups.push(() => chat.stop());
  return chat;
}

function identifiedShards(fake: FakeDiscord): unknown[] {
  return fake.identifies.map((identify) => identify.shard).sort((a, b) => String(a).localeCompare(String(b)));
}

function slashCommand(fake: FakeDiscord, guildId: string, name: string) {
  return fake.interact({
    type: 2,
    guild_id: guildId,
    channel_id: CHANNEL,
    channel: { id: CHANNEL, type: 0, guild_id: guildId },
    member: {
      user: { id: '1300000000000000500', username: 'trader', discriminator: '0', avatar: null, global_name: 'Trader' },
      roles: [],
      permissions: '0',
      joined_at: '2025-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    data: { id: '1300000000000000900', name, type: 1, options: [] },
  });
}

describe('Discord sharding', () => {
  it('an instance with DISCORD_SHARDS=0,1 and DISCORD_SHARD_COUNT=4 identifies exactly shards [0, 4] and [1, 4]', async () => {
    const fake = await fakeDiscord({ guilds: GUILDS });
    const chat = await startInstance(fake, { DISCORD_SHARDS: '0,1', DISCORD_SHARD_COUNT: '4' });
    expect(identifiedShards(fake)).toEqual([
      [0, 4],
      [1, 4],
    ]);
    expect(fake.connectedShards).toEqual([
      [0, 4],
      [1, 4],
    ]);
    expect(chat.discord?.shards).toEqual({ ids: [0, 1], count: 4 });
    // Each shard's READY brought its own guilds only.
    const cached = [...(chat.discord?.client.guilds.cache.keys() ?? [])].sort();
    expect(cached).toEqual(GUILDS.filter((g) => shardOfGuild(g, 4) < 2).sort());
  });

  it('two instances running shards 0,1 and 2,3 of 4 cover all four, and each guild’s command is answered once, by the instance running its shard', async () => {
    const fake = await fakeDiscord({ guilds: GUILDS });
    const first = await startInstance(fake, { DISCORD_SHARDS: '0,1', DISCORD_SHARD_COUNT: '4' });
    const second = await startInstance(fake, { DISCORD_SHARDS: '2-3', DISCORD_SHARD_COUNT: '4' });
    expect(fake.connectedShards).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
    const seenBy = { first: [] as string[], second: [] as string[] };
    first.discord?.client.on('interactionCreate', (i) => seenBy.first.push(i.guildId ?? 'dm'));
    second.discord?.client.on('interactionCreate', (i) => seenBy.second.push(i.guildId ?? 'dm'));

    const sent = GUILDS.map((guild) => ({ guild, ...slashCommand(fake, guild, 'help') }));
    await fake.waitFor(() => sent.every((s) => fake.callbacks.some((c) => c.interactionId === s.id)));
    // Time for a second answer to arrive, were one coming.
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (const { id, guild } of sent) {
      expect(
        fake.callbacks.filter((c) => c.interactionId === id),
        `guild ${guild}`,
      ).toHaveLength(1);
      expect(fake.dispatched.filter((d) => d.interactionId === id)).toEqual([
        { interactionId: id, shard: [shardOfGuild(guild, 4), 4] },
      ]);
    }
    expect(seenBy.first.sort()).toEqual(GUILDS.filter((g) => shardOfGuild(g, 4) < 2).sort());
    expect(seenBy.second.sort()).toEqual(GUILDS.filter((g) => shardOfGuild(g, 4) >= 2).sort());
  });

  it('with DISCORD_SHARDS=auto an instance runs every shard /gateway/bot recommends', async () => {
    const fake = await fakeDiscord({ recommendedShards: 2 });
    const chat = await startInstance(fake, { DISCORD_SHARDS: 'auto' });
    expect(identifiedShards(fake)).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(chat.discord?.shards).toEqual({ ids: [0, 1], count: 2 });
  });

  it('with DISCORD_SHARDS=auto and DISCORD_SHARD_COUNT=3 an instance runs all three shards, whatever Discord recommends', async () => {
    const fake = await fakeDiscord({ recommendedShards: 1 });
    await startInstance(fake, { DISCORD_SHARDS: 'auto', DISCORD_SHARD_COUNT: '3' });
    expect(identifiedShards(fake)).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
  });
});

describe('the Discord shard settings', () => {
  it('read lists and ranges of shard ids, sorted and without repeats', () => {
    const config = loadConfig({ DISCORD_SHARDS: ' 4-6, 0 ,5 ', DISCORD_SHARD_COUNT: '8' });
    expect(config.DISCORD_SHARDS).toEqual([0, 4, 5, 6]);
    expect(config.DISCORD_SHARD_COUNT).toBe(8);
  });

  it('default to auto, with no count', () => {
    const config = loadConfig({});
    expect(config.DISCORD_SHARDS).toBe('auto');
    expect(config.DISCORD_SHARD_COUNT).toBeUndefined();
  });

  it('refuse a shard id that is not below DISCORD_SHARD_COUNT', () => {
    expect(problemsOf({ DISCORD_SHARDS: '2,3,4', DISCORD_SHARD_COUNT: '4' })).toEqual([
      'DISCORD_SHARDS: shard 4 is not below DISCORD_SHARD_COUNT (4); the ids run from 0 to 3',
    ]);
  });

  it('name at most five of the shard ids that are too high', () => {
    expect(problemsOf({ DISCORD_SHARDS: '0-99', DISCORD_SHARD_COUNT: '2' })).toEqual([
      'DISCORD_SHARDS: shards 2, 3, 4, 5, 6, … are not below DISCORD_SHARD_COUNT (2); the ids run from 0 to 1',
    ]);
  });

  it('require DISCORD_SHARD_COUNT when DISCORD_SHARDS lists ids', () => {
    expect(problemsOf({ DISCORD_SHARDS: '0,1' })).toEqual([
      'DISCORD_SHARD_COUNT is required when DISCORD_SHARDS lists shard ids: the number of shards of all instances together',
    ]);
  });

  it.each([
    ['zero', '"zero" is neither'],
    ['0;1', '"0;1" is neither'],
    ['1-', '"1-" is neither'],
    ['-1', '"-1" is neither'],
    ['3-1', 'the range "3-1" runs backwards'],
    ['0-100000', 'shard 100000 is above the largest supported id, 99999'],
    [',', 'must be auto or shard ids like 0,1 or 2-3'],
  ])('refuse DISCORD_SHARDS=%s, saying what is wrong', (value, words) => {
    const problems = problemsOf({ DISCORD_SHARDS: value, DISCORD_SHARD_COUNT: '4' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DISCORD_SHARDS: /);
    expect(problems[0]).toContain(words);
  });

  it.each(['0', 'two', '1.5', '-2'])('refuse DISCORD_SHARD_COUNT=%s, saying what it must be', (value) => {
    expect(problemsOf({ DISCORD_SHARD_COUNT: value })).toEqual([
      'DISCORD_SHARD_COUNT: must be a whole number from 1 to 100000: the shards of all instances together',
    ]);
  });

  it('report a bad shard setting beside the other problems of the configuration', () => {
    const error = (() => {
      try {
        loadConfig({ DISCORD_SHARDS: '0-1', RETENTION_DAYS: 'seven' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('2 problem(s)');
    expect((error as ConfigError).message).toContain('DISCORD_SHARD_COUNT is required');
  });
});

// A fake Discord on 127.0.0.1: the REST API under /api/v10 and a JSON gateway on the same port. discord.js
// finds the gateway through GET /gateway/bot (which recommends a shard count); the gateway says HELLO, answers
// IDENTIFY with READY (and GUILD_CREATE) for that shard's guilds and heartbeats with ACK, and can dispatch
// INTERACTION_CREATE on the socket of the interaction's guild's shard. REST records interaction callbacks, webhook
// edits, channel messages and application commands, and can answer 429 / 403 / 404 / 5xx as Discord does.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeBucket, listen, newServer, parseMultipart, readBody, sendJson } from './http.js';

export interface DiscordRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | unknown[] | null;
  at: number;
}

export interface InteractionCallback {
  interactionId: string;
  token: string;
  type: number;
  data: Record<string, unknown> | undefined;
}

export interface ChannelMessage {
  channelId: string;
  id: string;
  body: Record<string, unknown>;
}

type Fault = {
  pathPattern: RegExp;
  times: number;
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
};

export const DISCORD_ERRORS = {
  unknownChannel: { status: 404, body: { message: 'Unknown Channel', code: 10003 } },
  missingAccess: { status: 403, body: { message: 'Missing Access', code: 50001 } },
  /** The bot may see the channel but not post (embeds) there. */
  missingPermissions: { status: 403, body: { message: 'Missing Permissions', code: 50013 } },
  /** Discord's global limit: every request of the bot waits. */
  globalRateLimited: (retryAfterS: number) => ({
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterS, global: true },
    headers: {
      'retry-after': String(Math.ceil(retryAfterS)),
      'x-ratelimit-global': 'true',
      'x-ratelimit-scope': 'global',
    },
  }),
  rateLimited: (retryAfterS: number) => ({
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterS, global: false },
    headers: {
      'retry-after': String(Math.ceil(retryAfterS)),
      'x-ratelimit-scope': 'user',
      'x-ratelimit-bucket': 'fakebucket',
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfterS),
    },
  }),
  serverError: { status: 500, body: { message: '500: Internal Server Error', code: 0 } },
};

/** Fields Discord adds to every command it stores; the registration diff must treat them as defaults. */
function withDefaults(
  command: Record<string, unknown>,
  applicationId: string,
  guildId: string | undefined,
  id: string,
) {
  return {
    id,
    application_id: applicationId,
    version: id,
    default_member_permissions: null,
    type: 1,
    nsfw: false,
    integration_types: [0],
    contexts: null,
    ...(guildId ? { guild_id: guildId } : {}),
    dm_permission: true,
    ...command,
    options: ((command.options as Record<string, unknown>[] | undefined) ?? []).map((o) => ({ required: false, ...o })),
  };
}

/** The shard a guild's events arrive on, as Discord assigns them: `(guild_id >> 22) % shard_count`. */
export function shardOfGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The `n`-th made-up guild id (a plausible snowflake) that lands on `shardId` of `shardCount`. */
export function guildIdOnShard(shardId: number, shardCount: number, n = 0): string {
  const base = 300_000_000_000n - (300_000_000_000n % BigInt(shardCount));
  return (((base + BigInt(shardId) + BigInt(n * shardCount)) << 22n) | 7n).toString();
}

/** One identified gateway connection: the shard it asked for and its own sequence numbers. */
interface GatewaySession {
  shard: [number, number];
  seq: number;
}

export class FakeDiscord {
  readonly requests: DiscordRequest[] = [];
  readonly callbacks: InteractionCallback[] = [];
  /**
   * PATCH …/messages/@original, DELETE of it, and POST follow-ups, by interaction token. As on Discord, the first
   * follow-up after a deferred reply whose "thinking…" message is still there replaces that message, keeping the
   * deferral's visibility (its ephemeral flag is ignored): it is recorded as an edit.
   */
  readonly webhookMessages: { token: string; kind: 'edit' | 'followup' | 'delete'; body: Record<string, unknown> }[] =
    [];
  readonly channelMessages: (ChannelMessage & { at: number })[] = [];
  readonly unknownChannels = new Set<string>();
  readonly forbiddenChannels = new Set<string>();
  /** Stored commands: key '' for global, else the guild id. */
  readonly commands = new Map<string, Record<string, unknown>[]>();
  readonly identifies: Record<string, unknown>[] = [];
  /** Each INTERACTION_CREATE sent, with the shard whose socket carried it. */
  readonly dispatched: { interactionId: string; shard: [number, number] }[] = [];
  baseUrl = '';
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<WebSocket, GatewaySession>();
  private readonly faults: Fault[] = [];
  private readonly hangs: { pathPattern: RegExp; times: number }[] = [];
  private nextId = 1_310_000_000_000_000_000n;
  private readonly nonces = new Map<string, ChannelMessage>();
  /** Deferred replies still showing "thinking…", by interaction token: the flags they were deferred with. */
  private readonly thinking = new Map<string, number>();

  /** Every 429 the fake answered because of its global limit. */
  readonly globalRateLimited: number[] = [];
  private readonly global: FakeBucket | undefined;

  constructor(
    readonly options: {
      token: string;
      applicationId: string;
      botUserId?: string;
      /** Discord's global limit, 50 requests a second, enforced on `now`'s clock when set. */
      globalPerSecond?: number;
      now?: () => number;
      /** The shard count GET /gateway/bot recommends. Default 1. */
      recommendedShards?: number;
      /** session_start_limit.max_concurrency: shards that may identify at once (per 5 s). Default 1. */
      maxConcurrency?: number;
      /** Ids of the guilds the bot is in; each shard's READY lists its own. Default none. */
      guilds?: readonly string[];
    },
  ) {
    if (options.globalPerSecond)
      this.global = new FakeBucket(options.globalPerSecond, options.globalPerSecond, options.now ?? Date.now);
  }

  newId(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }

  async start(): Promise<string> {
    this.server = newServer((req, res) => this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (socket) => this.onSocket(socket));
    const port = await listen(this.server);
    this.baseUrl = `http://127.0.0.1:${port}/api`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `times` requests whose path matches are received (recorded) and never answered. */
  hang(pathPattern: RegExp, times = 1): void {
    this.hangs.push({ pathPattern, times });
  }

  /** The next `times` requests whose path matches answer with this error. */
  fail(
    error: { status: number; body: Record<string, unknown>; headers?: Record<string, string> },
    pathPattern: RegExp,
    times = 1,
  ): void {
    this.faults.push({ pathPattern, times, ...error });
  }

  /**
   * Sends INTERACTION_CREATE as Discord does: on the session of the shard its guild belongs to (shard 0 for a DM);
   * returns the interaction's id and token.
   */
  interact(interaction: Record<string, unknown>): { id: string; token: string } {
    const id = this.newId();
    const token = `itoken-${id}`;
    const payload = {
      id,
      token,
      application_id: this.options.applicationId,
      version: 1,
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': '1' },
      app_permissions: '2248473465835073',
      attachment_size_limit: 8388608,
      ...interaction,
    };
    const guildId = typeof interaction.guild_id === 'string' ? interaction.guild_id : undefined;
    for (const [socket, session] of this.sessions) {
      const [shardId, shardCount] = session.shard;
      if ((guildId === undefined ? 0 : shardOfGuild(guildId, shardCount)) !== shardId) continue;
      this.dispatched.push({ interactionId: id, shard: session.shard });
      this.send(socket, 'INTERACTION_CREATE', payload);
    }
    return { id, token };
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('FakeDiscord.waitFor: timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  get connected(): number {
    return this.sockets.size;
  }

  /** The shards of the live gateway sessions, `[id, count]`, sorted by id. */
  get connectedShards(): [number, number][] {
    return [...this.sessions.values()].map((s) => s.shard).sort((a, b) => a[0] - b[0]);
  }

  private send(socket: WebSocket, event: string, data: unknown): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    socket.send(JSON.stringify({ op: 0, t: event, s: ++session.seq, d: data }));
  }

  /** A guild as GUILD_CREATE carries it, with just what discord.js reads. */
  private guild(id: string): Record<string, unknown> {
    return {
      id,
      name: `Guild ${id}`,
      icon: null,
      owner_id: '1300000000000000500',
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      system_channel_flags: 0,
      preferred_locale: 'en-US',
      features: [],
      roles: [],
      emojis: [],
      stickers: [],
      channels: [],
      threads: [],
      members: [],
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      member_count: 1,
      large: false,
      unavailable: false,
      joined_at: '2025-01-01T00:00:00.000Z',
    };
  }

  private onSocket(socket: WebSocket): void {
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    socket.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString('utf8')) as { op: number; d: Record<string, unknown> };
      if (message.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (message.op === 2) {
        this.identifies.push({
          ...message.d,
          token:
            message.d.token === `Bot ${this.options.token}` || message.d.token === this.options.token
              ? 'valid'
              : 'invalid',
        });
        if (message.d.token !== this.options.token && message.d.token !== `Bot ${this.options.token}`) {
          socket.close(4004, 'Authentication failed.');
          return;
        }
        // Discord closes with 4010 (Invalid shard) when the id is not below the count.
        const asked = Array.isArray(message.d.shard) ? (message.d.shard as unknown[]) : [0, 1];
        const [shardId, shardCount] = asked.map(Number) as [number, number];
        if (!Number.isInteger(shardId) || !Number.isInteger(shardCount) || shardId < 0 || shardId >= shardCount) {
          socket.close(4010, 'Invalid shard.');
          return;
        }
        this.sockets.add(socket);
        this.sessions.set(socket, { shard: [shardId, shardCount], seq: 0 });
        const guildIds = (this.options.guilds ?? []).filter((g) => shardOfGuild(g, shardCount) === shardId);
        const ready = {
          v: 10,
          user: {
            id: this.options.botUserId ?? '1300000000000000001',
            username: 'Spiralwatch',
            discriminator: '0',
            global_name: null,
            avatar: null,
            bot: true,
          },
          guilds: guildIds.map((g) => ({ id: g, unavailable: true })),
          session_id: `fake-session-${shardId}-${this.sessions.size}`,
          resume_gateway_url: this.baseUrl.replace(/^http/, 'ws').replace(/\/api$/, ''),
          application: { id: this.options.applicationId, flags: 0 },
          shard: [shardId, shardCount],
        };
        this.send(socket, 'READY', ready);
        // As on Discord, each guild of READY then arrives as GUILD_CREATE on the same session.
        for (const g of guildIds) this.send(socket, 'GUILD_CREATE', this.guild(g));
      }
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.sessions.delete(socket);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api(\/v\d+)?/, '');
    const type = req.headers['content-type'] ?? '';
    let body: DiscordRequest['body'] = null;
    if (type.startsWith('multipart/form-data')) {
      const parts = parseMultipart(raw, type);
      body =
        typeof parts.payload_json === 'string' ? (JSON.parse(parts.payload_json) as Record<string, unknown>) : parts;
    } else if (raw.length > 0) body = JSON.parse(raw.toString('utf8')) as DiscordRequest['body'];
    const method = req.method ?? 'GET';
    // On the fake's clock, like channelMessages, so a scaled clock's rates can be read from it.
    this.requests.push({ method, path, body, at: (this.options.now ?? Date.now)() });
    const obj = (body ?? {}) as Record<string, unknown>;

    const interactionCallback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    const needsAuth = !interactionCallback && !path.startsWith('/webhooks/');
    if (needsAuth && req.headers.authorization !== `Bot ${this.options.token}`) {
      return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
    }
    const globalWait = needsAuth && this.global ? this.global.take() : 0;
    if (globalWait > 0) {
      this.globalRateLimited.push(Date.now());
      const seconds = Math.ceil(globalWait) / 1000;
      return sendJson(
        res,
        429,
        { message: 'You are being rate limited.', retry_after: seconds, global: true },
        { 'retry-after': String(Math.ceil(seconds)), 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
      );
    }
    const hangIndex = this.hangs.findIndex((h) => h.pathPattern.test(path));
    const hang = this.hangs[hangIndex];
    if (hang) {
      if (--hang.times <= 0) this.hangs.splice(hangIndex, 1);
      return; // no answer: the connection stays open until the client gives up or the fake stops
    }
    const faultIndex = this.faults.findIndex((f) => f.pathPattern.test(path));
    const fault = this.faults[faultIndex];
    if (fault) {
      if (--fault.times <= 0) this.faults.splice(faultIndex, 1);
      return sendJson(res, fault.status, fault.body, fault.headers);
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return sendJson(res, 200, {
        url: this.baseUrl.replace(/^http/, 'ws').replace(/\/api$/, ''),
        shards: this.options.recommendedShards ?? 1,
        session_start_limit: {
          total: 1000,
          remaining: 999,
          reset_after: 14_400_000,
          max_concurrency: this.options.maxConcurrency ?? 1,
        },
      });
    }
    if (interactionCallback && method === 'POST') {
      this.callbacks.push({
        interactionId: interactionCallback[1] ?? '',
        token: interactionCallback[2] ?? '',
        type: Number(obj.type),
        data: obj.data as Record<string, unknown> | undefined,
      });
      if (Number(obj.type) === 5) {
        const flags = (obj.data as { flags?: unknown } | undefined)?.flags;
        this.thinking.set(interactionCallback[2] ?? '', typeof flags === 'number' ? flags : 0);
      }
      if (url.searchParams.get('with_response') === 'true') {
        return sendJson(res, 200, {
          interaction: { id: interactionCallback[1], type: 2 },
          resource: { type: obj.type },
        });
      }
      res.writeHead(204).end();
      return;
    }
    const webhook = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(path);
    if (webhook) {
      const token = webhook[2] ?? '';
      const original = webhook[3] !== undefined;
      if (original && method === 'GET') return sendJson(res, 200, this.message('0', {}));
      const deferredFlags = this.thinking.get(token);
      this.thinking.delete(token);
      if (original && method === 'DELETE') {
        this.webhookMessages.push({ token, kind: 'delete', body: {} });
        res.writeHead(204).end();
        return;
      }
      if (!original && deferredFlags !== undefined) {
        // The first follow-up fills the "thinking…" message, public or not as the deferral was.
        const body = { ...obj, flags: deferredFlags };
        this.webhookMessages.push({ token, kind: 'edit', body });
        return sendJson(res, 200, this.message('0', body));
      }
      this.webhookMessages.push({ token, kind: original ? 'edit' : 'followup', body: obj });
      return sendJson(res, 200, this.message('0', obj));
    }
    const commands = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (commands) {
      const key = commands[2] ?? '';
      if (method === 'GET') return sendJson(res, 200, this.commands.get(key) ?? []);
      if (method === 'PUT') {
        const list = (Array.isArray(body) ? body : []) as Record<string, unknown>[];
        const existing = this.commands.get(key) ?? [];
        const stored = list.map((c) =>
          withDefaults(
            c,
            this.options.applicationId,
            commands[2],
            String(existing.find((e) => e.name === c.name)?.id ?? this.newId()),
          ),
        );
        this.commands.set(key, stored);
        return sendJson(res, 200, stored);
      }
    }
    const channel = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (channel && method === 'POST') {
      const channelId = channel[1] ?? '';
      if (this.unknownChannels.has(channelId)) return sendJson(res, 404, DISCORD_ERRORS.unknownChannel.body);
      if (this.forbiddenChannels.has(channelId)) return sendJson(res, 403, DISCORD_ERRORS.missingAccess.body);
      // Discord deduplicates messages that repeat a nonce with enforce_nonce (for a few minutes).
      const nonce =
        obj.enforce_nonce === true && obj.nonce !== undefined ? `${channelId}:${String(obj.nonce)}` : undefined;
      const seen = nonce ? this.nonces.get(nonce) : undefined;
      if (seen) return sendJson(res, 200, this.message(channelId, seen.body, seen.id));
      const message = { channelId, id: this.newId(), body: obj, at: (this.options.now ?? Date.now)() };
      this.channelMessages.push(message);
      if (nonce) this.nonces.set(nonce, message);
      return sendJson(res, 200, this.message(channelId, obj, message.id));
    }
    return sendJson(res, 404, { message: '404: Not Found', code: 0 });
  }

  private message(channelId: string, body: Record<string, unknown>, id = this.newId()): Record<string, unknown> {
    return {
      id,
      type: 0,
      channel_id: channelId,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      attachments: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      flags: 0,
      components: [],
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      author: {
        id: this.options.botUserId ?? '1300000000000000001',
        username: 'Spiralwatch',
        discriminator: '0',
        avatar: null,
        bot: true,
        global_name: null,
      },
    };
  }
}

// A fake Telegram Bot API on 127.0.0.1, for telegraf's `apiRoot`: POST /bot<token>/<method> with JSON (or
// multipart for media). Answers as the real API does ({ok:true,result} or {ok:false,error_code,description,
// parameters}), enforces flood limits like Telegram (30 messages/s overall, 20/min per group), refuses strings
// that are not valid UTF-8, keeps the command menu (set/getMyCommands), and can be told to block, kick, migrate,
// fail, or answer getUpdates with 409 Conflict as when a second instance polls. It records every call the bot made.
import type { Server, ServerResponse } from 'node:http';
import { FakeBucket, listen, newServer, parseMultipart, readBody, sendJson } from './http.js';

export interface TelegramCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface SentMessage {
  method: string;
  chatId: string;
  text: string;
  messageId: number;
  at: number;
  payload: Record<string, unknown>;
}

type ApiError = { ok: false; error_code: number; description: string; parameters?: Record<string, unknown> };
type Fault = { method?: string; chatId?: string; times: number; error: ApiError; status?: number };

export interface FakeTelegramOptions {
  token: string;
  /** The fake's clock (epoch ms); share a scaled clock with the bot to run rate limits faster. */
  now?: () => number;
  /** Flood limits; `false` turns them off. */
  limits?: { perSecond: number; burst: number; groupPerMinute: number; groupBurst: number } | false;
  /** Delay before answering each send, in real ms. */
  latencyMs?: number;
}

const SEND_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'editMessageText']);

export const TELEGRAM_ERRORS = {
  blocked: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
  kicked: { ok: false, error_code: 403, description: 'Forbidden: bot was kicked from the group chat' },
  chatNotFound: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
  tooManyRequests: (seconds: number): ApiError => ({
    ok: false,
    error_code: 429,
    description: `Too Many Requests: retry after ${seconds}`,
    parameters: { retry_after: seconds },
  }),
  migrated: (to: string): ApiError => ({
    ok: false,
    error_code: 400,
    description: 'Bad Request: group chat was upgraded to a supergroup chat',
    parameters: { migrate_to_chat_id: Number(to) },
  }),
  badGateway: { ok: false, error_code: 502, description: 'Bad Gateway' },
  /** What getUpdates answers while another instance polls with the same token. */
  conflict: {
    ok: false,
    error_code: 409,
    description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
  },
  /** A string parameter that is not valid UTF-8 (a lone surrogate, half an emoji). */
  notUtf8: { ok: false, error_code: 400, description: 'Bad Request: strings must be encoded in UTF-8' },
  commandInvalid: { ok: false, error_code: 400, description: 'Bad Request: BOT_COMMAND_INVALID' },
} as const;

/** Whether any string in a payload holds a lone surrogate, which is not valid UTF-8. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return /\p{Cs}/u.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasLoneSurrogate);
  return false;
}

/** setMyCommands and getMyCommands keep one menu per scope and language. */
function menuKey(payload: Record<string, unknown>): string {
  const scope = typeof payload.scope === 'string' ? (JSON.parse(payload.scope) as unknown) : payload.scope;
  const type = (scope as { type?: unknown } | undefined)?.type;
  return `${typeof type === 'string' ? type : 'default'}|${typeof payload.language_code === 'string' ? payload.language_code : ''}`;
}

export class FakeTelegram {
  readonly calls: TelegramCall[] = [];
  readonly sent: SentMessage[] = [];
  /** Every 429 the fake answered, with the chat it was for. */
  readonly tooManyRequests: { chatId: string; at: number; retryAfter: number }[] = [];
  readonly blocked = new Set<string>();
  readonly kicked = new Set<string>();
  readonly migrated = new Map<string, string>();
  /** chatId:userId → status (creator, administrator, member, left...). */
  readonly members = new Map<string, string>();
  webhook: { url: string; secretToken?: string } | null = null;
  /** The command menus set with setMyCommands, by scope and language ("default|" for the default one). */
  readonly commandMenus = new Map<string, { command: string; description: string }[]>();
  /** getUpdates calls answered 409 Conflict (told to, or because a newer getUpdates arrived while it waited). */
  conflictsAnswered = 0;
  /** getUpdates calls received (they are not in `calls`). */
  getUpdatesCalls = 0;
  apiRoot = '';
  private server: Server | undefined;
  private readonly faults: Fault[] = [];
  private readonly acceptedFaults: Fault[] = [];
  private conflictsLeft = 0;
  private readonly updates: Record<string, unknown>[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private waiting: (() => void)[] = [];
  private readonly pollers = new Set<ServerResponse>();
  private readonly now: () => number;
  private global: FakeBucket | undefined;
  private readonly groups = new Map<string, FakeBucket>();
  private groupSpec: { groupPerMinute: number; groupBurst: number } | undefined;
  private holdPredicate: ((call: TelegramCall) => boolean) | undefined;
  private released: (() => void)[] = [];

  constructor(readonly options: FakeTelegramOptions) {
    this.now = options.now ?? Date.now;
    if (options.limits !== false) {
      const limits = options.limits ?? { perSecond: 30, burst: 30, groupPerMinute: 20, groupBurst: 20 };
      this.global = new FakeBucket(limits.burst, limits.perSecond, this.now);
      this.groupSpec = limits;
    }
  }

  async start(): Promise<string> {
    this.server = newServer(async (req, res) => {
      const body = await readBody(req);
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (!match) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      const [, token, method = ''] = match;
      if (token !== this.options.token)
        return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const type = req.headers['content-type'] ?? '';
      let payload: Record<string, unknown> = {};
      if (type.startsWith('multipart/form-data')) payload = parseMultipart(body, type);
      else if (body.length > 0) payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      await this.handle(method, payload, res);
    });
    const port = await listen(this.server);
    this.apiRoot = `http://127.0.0.1:${port}`;
    return this.apiRoot;
  }

  async stop(): Promise<void> {
    for (const res of this.pollers) sendJson(res, 200, { ok: true, result: [] });
    this.releaseHeld();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Queues an update for getUpdates (long polling answers at once). Returns its update_id. */
  pushUpdate(update: Record<string, unknown>): number {
    const id = this.nextUpdateId++;
    this.updates.push({ update_id: id, ...update });
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
    return id;
  }

  /** The next `times` calls (of `method`, to `chatId`) answer `error`. */
  fail(error: ApiError, match: { method?: string; chatId?: string; times?: number } = {}): void {
    this.faults.push({ method: match.method, chatId: match.chatId, times: match.times ?? 1, error });
  }

  /**
   * The next `times` sends matching are accepted (the message is delivered and recorded in `sent`) and then
   * answered with `error`, as when Telegram's front end answers 502 for a message its backend took.
   */
  acceptThenFail(error: ApiError, match: { method?: string; chatId?: string; times?: number } = {}): void {
    this.acceptedFaults.push({ method: match.method, chatId: match.chatId, times: match.times ?? 1, error });
  }

  /**
   * The next `times` getUpdates calls answer 409 Conflict, as when another instance polls with the same token
   * (Infinity: until `conflict(0)`). A long poll waiting now is ended with the same 409.
   */
  conflict(times = Infinity): void {
    this.conflictsLeft = times;
    if (times <= 0) return;
    for (const res of this.pollers) {
      this.pollers.delete(res);
      this.conflictsLeft--;
      this.conflictsAnswered++;
      sendJson(res, 409, TELEGRAM_ERRORS.conflict);
    }
  }

  /** Holds the answer to calls matching `predicate` (the call is recorded as received) until `releaseHeld`. */
  hold(predicate: (call: TelegramCall) => boolean): void {
    this.holdPredicate = predicate;
  }

  releaseHeld(): void {
    this.holdPredicate = undefined;
    const released = this.released;
    this.released = [];
    for (const release of released) release();
  }

  setMember(chatId: string | number, userId: string | number, status: string): void {
    this.members.set(`${chatId}:${userId}`, status);
  }

  /** Messages sent to one chat, in order. */
  messagesTo(chatId: string | number): SentMessage[] {
    return this.sent.filter((m) => m.chatId === String(chatId));
  }

  /** Resolves when `predicate` holds, polling every 10 ms, or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('FakeTelegram.waitFor: timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async handle(method: string, payload: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const call: TelegramCall = { method, payload, at: this.now() };
    if (method !== 'getUpdates') this.calls.push(call);
    else this.getUpdatesCalls++;
    const ok = (result: unknown): void => sendJson(res, 200, { ok: true, result });
    // Telegram answers errors with the HTTP status equal to error_code.
    const fail = (error: ApiError): void => sendJson(res, error.error_code, error);
    const chatId = payload.chat_id === undefined ? '' : String(payload.chat_id);
    const faultIndex = this.faults.findIndex(
      (f) => (f.method === undefined || f.method === method) && (f.chatId === undefined || f.chatId === chatId),
    );
    if (faultIndex >= 0 && method !== 'getUpdates') {
      const fault = this.faults[faultIndex];
      if (fault) {
        if (--fault.times <= 0) this.faults.splice(faultIndex, 1);
        if (fault.error.error_code === 429) {
          this.tooManyRequests.push({
            chatId,
            at: this.now(),
            retryAfter: Number(fault.error.parameters?.retry_after),
          });
        }
        return fail(fault.error);
      }
    }
    if (method === 'getUpdates' && this.conflictsLeft > 0) {
      this.conflictsLeft--;
      this.conflictsAnswered++;
      return fail(TELEGRAM_ERRORS.conflict);
    }
    // Telegram refuses a request whose strings are not valid UTF-8.
    if (hasLoneSurrogate(payload)) return fail(TELEGRAM_ERRORS.notUtf8);
    switch (method) {
      case 'getMe':
        return ok({
          id: 7_000_000_001,
          is_bot: true,
          first_name: 'Spiralwatch',
          username: 'SpiralwatchBot',
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: true,
        });
      case 'getUpdates':
        return this.getUpdates(payload, res);
      case 'deleteWebhook':
        this.webhook = null;
        return ok(true);
      case 'setWebhook':
        this.webhook = { url: String(payload.url), secretToken: payload.secret_token as string | undefined };
        return ok(true);
      case 'getWebhookInfo':
        return ok({ url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
      case 'getChatMember': {
        const status = this.members.get(`${chatId}:${String(payload.user_id)}`) ?? 'member';
        return ok({ status, user: { id: Number(payload.user_id), is_bot: false, first_name: 'User' } });
      }
      case 'getMyCommands':
        return ok(this.commandMenus.get(menuKey(payload)) ?? []);
      case 'setMyCommands': {
        const commands = Array.isArray(payload.commands) ? (payload.commands as Record<string, unknown>[]) : [];
        const valid = commands.every(
          (c) =>
            typeof c.command === 'string' &&
            /^[a-z0-9_]{1,32}$/.test(c.command) &&
            typeof c.description === 'string' &&
            c.description.length >= 1 &&
            c.description.length <= 256,
        );
        if (!valid || commands.length > 100) return fail(TELEGRAM_ERRORS.commandInvalid);
        this.commandMenus.set(
          menuKey(payload),
          commands.map((c) => ({ command: String(c.command), description: String(c.description) })),
        );
        return ok(true);
      }
      case 'answerInlineQuery':
      case 'answerCallbackQuery':
        return ok(true);
      default:
        if (!SEND_METHODS.has(method))
          return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
    // A send: permanent refusals first, then flood control, then the message is accepted.
    if (this.blocked.has(chatId)) return fail(TELEGRAM_ERRORS.blocked);
    if (this.kicked.has(chatId)) return fail(TELEGRAM_ERRORS.kicked);
    const migratedTo = this.migrated.get(chatId);
    if (migratedTo !== undefined) return fail(TELEGRAM_ERRORS.migrated(migratedTo));
    if (chatId === '' || !/^-?\d+$/.test(chatId)) return fail(TELEGRAM_ERRORS.chatNotFound);
    const waitMs = this.flood(chatId);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      this.tooManyRequests.push({ chatId, at: this.now(), retryAfter: seconds });
      return fail(TELEGRAM_ERRORS.tooManyRequests(seconds));
    }
    const messageId = this.nextMessageId++;
    const text = String(payload.text ?? payload.caption ?? '');
    this.sent.push({ method, chatId, text, messageId, at: call.at, payload });
    const afterAccept = this.acceptedFaults.findIndex(
      (f) => (f.method === undefined || f.method === method) && (f.chatId === undefined || f.chatId === chatId),
    );
    const acceptedFault = this.acceptedFaults[afterAccept];
    if (acceptedFault) {
      if (--acceptedFault.times <= 0) this.acceptedFaults.splice(afterAccept, 1);
      return fail(acceptedFault.error);
    }
    if (this.holdPredicate?.(call)) await new Promise<void>((resolve) => this.released.push(resolve));
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    return ok({
      message_id: messageId,
      date: Math.floor(this.now() / 1000),
      chat: { id: Number(chatId), type: chatId.startsWith('-') ? 'supergroup' : 'private' },
      from: { id: 7_000_000_001, is_bot: true, first_name: 'Spiralwatch', username: 'SpiralwatchBot' },
      ...(method === 'sendPhoto'
        ? { photo: [{ file_id: 'photo', file_unique_id: 'p', width: 1, height: 1 }] }
        : { text }),
    });
  }

  /** How long until this send would be allowed (0 = allowed now, and counted). */
  private flood(chatId: string): number {
    if (!this.global || !this.groupSpec) return 0;
    if (chatId.startsWith('-')) {
      let bucket = this.groups.get(chatId);
      if (!bucket) {
        bucket = new FakeBucket(this.groupSpec.groupBurst, this.groupSpec.groupPerMinute / 60, this.now);
        this.groups.set(chatId, bucket);
      }
      const groupWait = bucket.take();
      if (groupWait > 0) return groupWait;
    }
    return this.global.take();
  }

  private getUpdates(payload: Record<string, unknown>, res: ServerResponse): void {
    // As Telegram does: a newer getUpdates ends the one still waiting (another instance polls the same token). A
    // moment's grace first: a client that aborted its poll to send this one has its old socket closing.
    const older = [...this.pollers];
    if (older.length > 0) {
      setTimeout(() => {
        for (const waiting of older) {
          if (!this.pollers.has(waiting) || waiting.writableEnded || waiting.destroyed) continue;
          this.pollers.delete(waiting);
          this.conflictsAnswered++;
          sendJson(waiting, TELEGRAM_ERRORS.conflict.error_code, TELEGRAM_ERRORS.conflict);
        }
      }, 50);
    }
    const offset = typeof payload.offset === 'number' ? payload.offset : 0;
    const timeoutS = typeof payload.timeout === 'number' ? payload.timeout : 0;
    // Updates below the offset are confirmed: drop them, as Telegram does.
    while (
      (this.updates[0]?.update_id as number | undefined) !== undefined &&
      (this.updates[0]?.update_id as number) < offset
    ) {
      this.updates.shift();
    }
    const answer = (): boolean => {
      const ready = this.updates
        .filter((u) => (u.update_id as number) >= offset)
        .slice(0, Number(payload.limit ?? 100));
      if (ready.length === 0) return false;
      this.pollers.delete(res);
      sendJson(res, 200, { ok: true, result: ready });
      return true;
    };
    if (answer() || timeoutS === 0) {
      if (!res.writableEnded) sendJson(res, 200, { ok: true, result: [] });
      return;
    }
    this.pollers.add(res);
    const timer = setTimeout(() => {
      this.pollers.delete(res);
      sendJson(res, 200, { ok: true, result: [] });
    }, timeoutS * 1000);
    const wake = (): void => {
      if (res.writableEnded || res.destroyed) return;
      if (answer()) clearTimeout(timer);
      else this.waiting.push(wake);
    };
    this.waiting.push(wake);
    res.on('close', () => {
      clearTimeout(timer);
      this.pollers.delete(res);
    });
  }
}

// The Telegram adapter (telegraf 4): commands typed as /term, /terms, /help ... → dispatch(words) → HTML
// messages; inline mode for glossary look-ups; alerts to chats. Polling by default, a webhook with a secret
// token when configured. telegraf does not retry, so every outgoing call goes through the Delivery seam: ours
// directly, telegraf's own (getMe, deleteWebhook, setWebhook) through a wrapped callApi.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Caller, CommandContext, CommandDefinition } from '../commands/command.js';
import { dispatch, findCommand, inputFromLine, type FailureReporter } from '../commands/dispatch.js';
import { reply as makeReply, type Reply } from '../commands/reply.js';
import { cutText, fitText } from '../commands/text.js';
import type { Glossary } from '../glossary/types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Delivery, DeliveryRequest, WireHooks } from './delivery.js';
import { describeError } from './errors.js';
import { wireReportingSender, type OutboxSender } from './outbox-worker.js';
import { PollingGuard, type PollingGuardOptions, type PollingStatus } from './polling.js';
import { registerTelegramCommands } from './telegram-commands.js';
import { escapeHtml, renderTelegramHtml } from './telegram-html.js';

export interface TelegramAdapterOptions {
  token: string;
  /** TELEGRAM_API_ROOT, telegraf's apiRoot; Telegram's own by default. */
  apiRoot?: string;
  /** Receive updates on a webhook (TELEGRAM_WEBHOOK_URL) instead of polling. */
  webhook?: { url: string; secretToken: string; port: number; host?: string };
  commands: readonly CommandDefinition[];
  context: (caller: Caller) => CommandContext;
  glossary: Glossary;
  delivery: Delivery;
  reportFailure: FailureReporter;
  log?: Logger;
  /** Retries of getUpdates in polling mode (src/chat/polling.ts). */
  polling?: PollingGuardOptions;
  /** Polling stopped for good (a 409 past its budget, a revoked token): the bot receives nothing any more. */
  onPollingFailed?: (error: unknown) => void;
  /**
   * Several instances behind one webhook: resolves true for the first instance to see an update, false for any
   * other (Telegram resends an update it got no 200 for, and a load balancer may hand the resend to another
   * instance). An update is answered only where it resolves true.
   */
  claimUpdate?: (updateId: number) => Promise<boolean>;
}

export interface AlertProgress {
  notAfter?: number;
  /** Parts of a split message already accepted by an earlier attempt. */
  fromPart?: number;
  /** Called after each part is accepted, with how many are now sent. */
  onPartSent?: (partsSent: number) => void;
  /** The outbox worker's hooks: it marks the row in flight right before each request (see delivery.ts). */
  wire?: WireHooks;
}

export interface TelegramAdapter {
  readonly bot: Telegraf;
  /** Sends an alert to a chat, split into messages as needed; resolves with the chat id it reached. */
  sendAlert(chatId: string, reply: Reply, progress?: AlertProgress): Promise<string>;
  /** The port of the webhook server, in webhook mode. */
  readonly webhookPort: number | undefined;
  /** Whether long polling works (for /healthz); undefined in webhook mode. */
  pollingStatus(): PollingStatus | undefined;
  stop(): Promise<void>;
}

/** telegraf's callApi; `signal` aborts the request (the seam's own timeout, well under telegraf's 500 s). */
type CallApi = (method: string, payload: Record<string, unknown>, extra?: { signal?: AbortSignal }) => Promise<unknown>;

/** How long stop() waits for the polling loop's last getUpdates. */
const STOP_WAIT_MS = 5_000;
const ADMIN_STATUSES = new Set(['creator', 'administrator']);
const INLINE_RESULTS = 20;

/**
 * Sends one Reply as HTML messages through the delivery seam, to `chatId` or, after a group migration, the
 * chat it moved to. Exported for the outbox worker.
 */
export async function sendTelegramReply(
  call: CallApi,
  delivery: Delivery,
  chatId: string,
  reply: Reply,
  kind: DeliveryRequest['kind'],
  progress: AlertProgress & { replyTo?: number } = {},
): Promise<string> {
  // A chart goes first as a photo (caption: the title), then the text; each is one resumable part.
  const texts = renderTelegramHtml(reply);
  const parts: ({ kind: 'photo' } | { kind: 'text'; text: string })[] = [
    ...(reply.image ? [{ kind: 'photo' as const }] : []),
    ...texts.map((text) => ({ kind: 'text' as const, text })),
  ];
  let current = chatId;
  for (let index = progress.fromPart ?? 0; index < parts.length; index++) {
    const part = parts[index];
    if (!part) continue;
    const method = part.kind === 'photo' ? 'sendPhoto' : 'sendMessage';
    await delivery.send(
      {
        platform: 'telegram',
        chatId: current,
        kind,
        method,
        notAfter: progress.notAfter,
        ...(progress.wire ? { wire: progress.wire } : {}),
      },
      (chat, signal) => {
        current = chat;
        const replyTo =
          index === 0 && progress.replyTo !== undefined && chat === chatId
            ? { reply_parameters: { message_id: progress.replyTo, allow_sending_without_reply: true } }
            : {};
        if (part.kind === 'photo' && reply.image) {
          return call(
            'sendPhoto',
            {
              chat_id: chat,
              photo: { source: Buffer.from(reply.image.png), filename: reply.image.filename },
              // The 1024 limit counts the text after entity parsing: cut the raw title (between graphemes), then escape.
              caption: escapeHtml(cutText(reply.title, 1024)),
              parse_mode: 'HTML',
              ...replyTo,
            },
            { signal },
          );
        }
        return call(
          'sendMessage',
          {
            chat_id: chat,
            text: part.kind === 'text' ? part.text : '',
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...replyTo,
          },
          { signal },
        );
      },
    );
    progress.onPartSent?.(index + 1);
  }
  return current;
}

export async function startTelegramAdapter(options: TelegramAdapterOptions): Promise<TelegramAdapter> {
  const log = (options.log ?? silentLogger).child({ platform: 'telegram' });
  const { delivery } = options;
  const bot = new Telegraf(options.token, {
    telegram: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), webhookReply: false },
    handlerTimeout: 120_000,
  });
  type RawCall = (method: string, payload: unknown, extra?: unknown) => Promise<unknown>;
  // The unwrapped call: used only inside delivery.send.
  const original = bot.telegram.callApi.bind(bot.telegram) as unknown as RawCall;
  const call: CallApi = (method, payload, extra) => original(method, payload, extra);
  const guard = options.webhook ? undefined : new PollingGuard({ log, ...options.polling });
  // telegraf's own calls (getMe, deleteWebhook, setWebhook) pass the seam too; getUpdates (long polling) does not:
  // the polling guard retries it. Only the polling loop passes an AbortController; the offset sync on stop does not.
  const wrapped: RawCall = (method, payload, extra) => {
    if (method === 'getUpdates') {
      const signal = (extra as { signal?: AbortSignal } | undefined)?.signal;
      return guard && signal
        ? guard.call(() => original(method, payload, extra), signal)
        : original(method, payload, extra);
    }
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    return delivery.send(
      { platform: 'telegram', chatId: chatId === undefined ? '' : String(chatId), kind: 'api', method },
      () => original(method, payload, extra),
    );
  };
  (bot.telegram as unknown as { callApi: RawCall }).callApi = wrapped;

  const isAdmin = async (chatId: number, userId: number): Promise<boolean> => {
    const member = (await delivery.send(
      { platform: 'telegram', chatId: String(chatId), kind: 'api', method: 'getChatMember' },
      (chat) => call('getChatMember', { chat_id: chat, user_id: userId }),
    )) as { status: string };
    return ADMIN_STATUSES.has(member.status);
  };

  const onCommand = async (message: {
    message_id: number;
    text: string;
    chat: { id: number; type: string };
    from?: { id: number };
    sender_chat?: { id: number };
  }): Promise<void> => {
    const input = inputFromLine(message.text);
    if (!input) return;
    const addressed = /^\/\w+@(\w+)/.exec(message.text)?.[1];
    if (addressed !== undefined && addressed.toLowerCase() !== bot.botInfo?.username.toLowerCase()) return;
    const definition = findCommand(options.commands, input.name);
    const isPrivate = message.chat.type === 'private';
    // In a group, a command we do not know may be another bot's: stay quiet.
    if (!definition && !isPrivate) return;
    let canManage = isPrivate;
    if (!isPrivate && definition?.requires?.includes('manageSubscriptions')) {
      // An anonymous admin writes as the group itself.
      canManage =
        message.sender_chat?.id === message.chat.id ||
        (message.from ? await isAdmin(message.chat.id, message.from.id) : false);
    }
    const caller: Caller = {
      platform: 'telegram',
      canManageSubscriptions: canManage,
      chat: { platform: 'telegram', id: String(message.chat.id) },
      ...(message.from ? { userId: String(message.from.id) } : {}),
    };
    const answer = await dispatch(input, options.context(caller), options.reportFailure);
    await sendTelegramReply(call, delivery, String(message.chat.id), answer, 'reply', {
      replyTo: message.message_id,
      notAfter: delivery.clock.now() + 60_000,
    });
  };

  const onInlineQuery = async (query: { id: string; query: string }): Promise<void> => {
    const typed = query.query.trim();
    const choices =
      typed === ''
        ? options.glossary.entries.slice(0, INLINE_RESULTS).map((e) => ({ id: e.id }))
        : options.glossary.autocomplete(typed, INLINE_RESULTS);
    const results = choices
      .map((c) => options.glossary.byId(c.id))
      .filter((e) => e !== undefined)
      .map((entry) => {
        const text =
          renderTelegramHtml(
            makeReply(entry.title, entry.short, { links: [{ label: 'More', command: `term ${entry.id}` }] }),
          )[0] ?? '';
        return {
          type: 'article',
          id: entry.id.slice(0, 64),
          title: entry.title,
          description: fitText(entry.short, 200, ''),
          input_message_content: {
            message_text: text,
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
          },
        };
      });
    await delivery.send(
      {
        platform: 'telegram',
        chatId: '',
        kind: 'api',
        method: 'answerInlineQuery',
        notAfter: delivery.clock.now() + 10_000,
      },
      () => call('answerInlineQuery', { inline_query_id: query.id, results, cache_time: 300 }),
    );
  };

  /** Whether this instance answers the update; when the claim cannot be made, it answers (a repeat beats silence). */
  const claimed = async (updateId: number): Promise<boolean> => {
    try {
      const first = (await options.claimUpdate?.(updateId)) ?? true;
      if (!first) log.debug('update already taken by another instance', { update: updateId });
      return first;
    } catch (error) {
      log.warn('could not claim the update; answering it here', { update: updateId, error: describeError(error) });
      return true;
    }
  };

  // Updates are answered without holding up the next ones: a reply waiting for a busy group's rate limit
  // must not delay other chats (telegraf fetches the next batch only when handlers return).
  const pending = new Set<Promise<void>>();
  bot.use((ctx) => {
    const update = ctx.update as Update;
    const handle = async (): Promise<void> => {
      if (options.claimUpdate !== undefined && !(await claimed(update.update_id))) return;
      if ('message' in update && 'text' in update.message && update.message.text.startsWith('/')) {
        await onCommand(update.message);
      } else if ('inline_query' in update) await onInlineQuery(update.inline_query);
    };
    const task = handle()
      .catch((error: unknown) => log.error('update failed', { update: update.update_id, error: describeError(error) }))
      .finally(() => pending.delete(task));
    pending.add(task);
    return Promise.resolve();
  });
  bot.catch((error) => log.error('telegraf error', { error: describeError(error) }));

  // The command menu, from the same definitions; a failure here costs the menu only, not the bot.
  try {
    const registered = await registerTelegramCommands(
      (method, payload) =>
        delivery.send(
          { platform: 'telegram', chatId: '', kind: 'api', method, notAfter: delivery.clock.now() + 10_000 },
          () => call(method, payload),
        ),
      options.commands,
    );
    if (registered.skipped.length > 0) log.warn('commands left out of the menu', { skipped: registered.skipped });
    if (registered.changed) log.info('command menu registered', { differences: registered.differences });
  } catch (error) {
    log.warn('could not register the command menu', { error: describeError(error) });
  }

  let server: Server | undefined;
  let webhookPort: number | undefined;
  /** Settles when telegraf's polling loop has ended, its last getUpdates (confirming the offset) included. */
  let pollingEnded: Promise<void> = Promise.resolve();
  const allowedUpdates = ['message', 'inline_query'] as const;
  if (options.webhook) {
    bot.botInfo = await bot.telegram.getMe();
    const url = new URL(options.webhook.url);
    await bot.telegram.setWebhook(options.webhook.url, {
      secret_token: options.webhook.secretToken,
      allowed_updates: [...allowedUpdates],
    });
    const callback = bot.webhookCallback(url.pathname, { secretToken: options.webhook.secretToken });
    server = createServer((req, res) => void callback(req, res));
    await new Promise<void>((resolve) =>
      server?.listen(options.webhook?.port ?? 0, options.webhook?.host ?? '127.0.0.1', resolve),
    );
    webhookPort = (server.address() as AddressInfo).port;
    log.info('receiving updates by webhook', { path: url.pathname, port: webhookPort });
  } else {
    await new Promise<void>((resolve, reject) => {
      let launched = false;
      pollingEnded = bot
        .launch({ allowedUpdates: [...allowedUpdates] }, () => {
          launched = true;
          resolve();
        })
        .then(() => guard?.finish())
        .catch((error: unknown) => {
          guard?.finish(error);
          if (!launched) {
            log.error('polling could not start', { error: describeError(error) });
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          // Without this the process would run on, answering nothing, and no supervisor would notice.
          log.error('telegram polling stopped and cannot recover: the bot receives no updates', {
            error: describeError(error),
          });
          options.onPollingFailed?.(error);
        });
    });
    log.info('polling for updates', { bot: bot.botInfo?.username });
  }

  return {
    bot,
    webhookPort,
    pollingStatus: () => guard?.status(),
    sendAlert: (chatId, reply, progress = {}) => sendTelegramReply(call, delivery, chatId, reply, 'alert', progress),
    async stop() {
      await Promise.all(pending);
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      } else {
        try {
          bot.stop('shutdown');
        } catch {
          // not running
        }
        // Another instance may start polling next: this one's last call must not overlap its first.
        await Promise.race([pollingEnded, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
      }
    },
  };
}

/**
 * An outbox sender for Telegram alerts on telegraf's Telegram client alone (no polling), e.g. in a worker
 * process: each part through the Delivery seam, resuming after the parts already sent.
 */
export function telegramAlertSender(telegram: { callApi: unknown }, delivery: Delivery): OutboxSender {
  const call = (telegram.callApi as CallApi).bind(telegram);
  return wireReportingSender((row, onPartSent, context) =>
    sendTelegramReply(call, delivery, row.chatId, row.reply, 'alert', {
      notAfter: row.notAfter,
      fromPart: row.partsSent,
      ...(onPartSent ? { onPartSent } : {}),
      ...(context ? { wire: context.wire } : {}),
    }),
  );
}

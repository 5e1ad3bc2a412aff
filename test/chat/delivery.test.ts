import { describe, expect, it } from 'vitest';
import { Delivery, type ChatEvents } from '../../src/chat/delivery.js';
import { ChatDeliveryError, redactSecrets } from '../../src/chat/errors.js';
import { TokenBucket } from '../../src/chat/limiter.js';
import { virtualClock } from './helpers.js';

/** What telegraf throws for an API error. */
function telegramError(error_code: number, description: string, parameters?: Record<string, unknown>): Error {
  return Object.assign(new Error(`${error_code}: ${description}`), {
    response: { ok: false, error_code, description, parameters },
  });
}

function recordingEvents(): ChatEvents & { gone: string[]; moved: string[] } {
  const gone: string[] = [];
  const moved: string[] = [];
  return {
    gone,
    moved,
    chatGone: (platform, chatId, reason) => gone.push(`${platform}:${chatId}:${reason}`),
    chatMigrated: (platform, from, to) => moved.push(`${platform}:${from}->${to}`),
  };
}

describe('a token bucket', () => {
  it('lets a burst of its capacity through at once and then spaces sends at its rate', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 3 }, clock);
    const startedAt = clock.now();
    const at: number[] = [];
    for (let i = 0; i < 6; i++) {
      await bucket.acquire();
      at.push(clock.now() - startedAt);
    }
    expect(at.map((t) => Math.round(t))).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('lets a waiter whose signal aborts leave the queue without taking a token', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, capacity: 1 }, clock);
    await bucket.acquire();
    const stop = new AbortController();
    const abandoned = bucket.acquire(stop.signal);
    stop.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    clock.advance(1000);
    expect(bucket.tryTake()).toBe(0);
  });

  it('refills over time up to its capacity only', () => {
    const clock = virtualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 2 }, clock);
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(10_000);
    expect([bucket.tryTake(), bucket.tryTake(), Math.round(bucket.tryTake())]).toEqual([0, 0, 100]);
  });
});

describe('the delivery seam', () => {
  it('waits exactly retry_after on a Telegram 429 and then delivers', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock });
    let calls = 0;
    const result = await delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => {
        if (++calls === 1) throw telegramError(429, 'Too Many Requests: retry after 7', { retry_after: 7 });
        return 'ok';
      },
    );
    expect(result).toBe('ok');
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([7000]);
    expect(delivery.stats.rateLimited).toBe(1);
  });

  it('holds back other messages to a chat that answered 429 until retry_after has passed', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock });
    const startedAt = clock.now();
    await delivery
      .send(
        { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage', notAfter: startedAt + 1 },
        async () => {
          throw telegramError(429, 'Too Many Requests: retry after 5', { retry_after: 5 });
        },
      )
      .catch(() => undefined);
    let sentAt = 0;
    await delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => (sentAt = clock.now()),
    );
    expect(sentAt - startedAt).toBeGreaterThanOrEqual(5000);
  });

  it('backs off exponentially on 5xx and network errors of an idempotent call', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock, retry: { baseBackoffMs: 500 } });
    let calls = 0;
    await delivery.send({ platform: 'telegram', chatId: '42', kind: 'api', method: 'getChatMember' }, async () => {
      calls++;
      if (calls === 1) throw telegramError(502, 'Bad Gateway');
      if (calls === 2) throw Object.assign(new Error('request failed'), { name: 'FetchError', code: 'ECONNRESET' });
      if (calls === 3) throw telegramError(500, 'Internal Server Error');
      return true;
    });
    expect(clock.sleeps.filter((ms) => ms >= 500)).toEqual([500, 1000, 2000]);
  });

  it('retries an alert whose request certainly did not arrive (connection refused, DNS), with back-off', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock, retry: { baseBackoffMs: 500 } });
    let calls = 0;
    const result = await delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => {
        calls++;
        if (calls === 1)
          throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'FetchError', code: 'ECONNREFUSED' });
        if (calls === 2) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
        return 'ok';
      },
    );
    expect(result).toBe('ok');
    expect(clock.sleeps.filter((ms) => ms >= 500)).toEqual([500, 1000]);
  });

  it('does not resend an alert after a 5xx, a reset or a timeout: it may have been received (at most once)', async () => {
    const failures: (() => Promise<never>)[] = [
      () => Promise.reject(telegramError(502, 'Bad Gateway')),
      () => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'FetchError', code: 'ECONNRESET' })),
      () => new Promise<never>(() => undefined),
    ];
    for (const fail of failures) {
      const delivery = new Delivery({ clock: virtualClock(), retry: { requestTimeoutMs: 20 } });
      const onWire: string[] = [];
      let calls = 0;
      const sending = delivery.send(
        {
          platform: 'telegram',
          chatId: '42',
          kind: 'alert',
          method: 'sendMessage',
          wire: { onWire: () => void onWire.push('wire'), onNotSent: () => void onWire.push('notSent') },
        },
        () => {
          calls++;
          return fail();
        },
      );
      await expect(sending).rejects.toMatchObject({ id: 'maybeSent', platform: 'telegram', chatId: '42' });
      expect(calls).toBe(1);
      expect(onWire).toEqual(['wire']);
    }
  });

  it('resends a request that may have arrived only while the platform still drops repeats', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock, retry: { baseBackoffMs: 1000 } });
    const calledAt: number[] = [];
    const sending = delivery.send(
      { platform: 'discord', chatId: '1', kind: 'alert', method: 'channel.send', duplicateSafeMs: 10_000 },
      async () => {
        calledAt.push(clock.now());
        throw Object.assign(new Error('Internal Server Error'), { name: 'HTTPError', status: 500 });
      },
    );
    await expect(sending).rejects.toMatchObject({ id: 'maybeSent' });
    // Resent after 1, 2 and 4 s; the next one (8 s later) would fall outside the 10 s window.
    expect(calledAt.map((t) => t - (calledAt[0] ?? 0))).toEqual([0, 1000, 3000, 7000]);
  });

  it('marks the request in flight only after every wait, and withdraws it during a wait when the signal aborts', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock, limits: { telegramPrivate: { ratePerSecond: 1, capacity: 1 } } });
    const events: string[] = [];
    const stop = new AbortController();
    const wire = {
      signal: stop.signal,
      onWire: () => void events.push(`wire at ${clock.now()}`),
      onNotSent: () => void events.push('not sent'),
    };
    const startedAt = clock.now();
    let calls = 0;
    await delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage', wire },
      async () => {
        if (++calls === 1) throw telegramError(429, 'Too Many Requests: retry after 3', { retry_after: 3 });
        return true;
      },
    );
    expect(events).toEqual([`wire at ${startedAt}`, 'not sent', `wire at ${startedAt + 3000}`]);
    // A second message waits for its turn in the chat's bucket; a stop during that wait sends nothing.
    const waiting = delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage', wire },
      async () => {
        calls++;
        return true;
      },
    );
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ id: 'cancelled' });
    expect(calls).toBe(2);
    expect(events).toHaveLength(3);
  });

  it('holds back a whole platform after a global rate limit, and only that platform', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock });
    const rateLimitError = Object.assign(new Error('rate limited'), {
      name: 'RateLimitError',
      retryAfter: 2000,
      global: true,
    });
    let calls = 0;
    const startedAt = clock.now();
    await delivery.send({ platform: 'discord', chatId: '1', kind: 'alert', method: 'channel.send' }, async () => {
      if (++calls === 1) throw rateLimitError;
      return true;
    });
    let otherChannelAt = 0;
    await delivery.send(
      { platform: 'discord', chatId: '2', kind: 'alert', method: 'channel.send' },
      async () => (otherChannelAt = clock.now()),
    );
    expect(otherChannelAt - startedAt).toBeGreaterThanOrEqual(2000);
    let telegramAt = -1;
    const telegramStart = clock.now();
    await delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => (telegramAt = clock.now()),
    );
    expect(telegramAt).toBe(telegramStart);
  });

  it('sorts Discord 50013 Missing Permissions as a channel gone (paused), not a transient error', async () => {
    const events = recordingEvents();
    const delivery = new Delivery({ clock: virtualClock(), events });
    let calls = 0;
    const sending = delivery.send({ platform: 'discord', chatId: '3', kind: 'alert', method: 'post' }, () => {
      calls++;
      return Promise.reject(
        Object.assign(new Error('Missing Permissions'), { name: 'DiscordAPIError[50013]', status: 403, code: 50013 }),
      );
    });
    await expect(sending).rejects.toMatchObject({ id: 'chatGone' });
    expect(calls).toBe(1);
    expect(events.gone).toEqual(['discord:3:missingPermissions']);
  });

  it('gives a message up as too late when the next retry would pass its deadline', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock, retry: { maxDelayMs: 10_000 } });
    const sending = delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => {
        throw telegramError(429, 'Too Many Requests: retry after 30', { retry_after: 30 });
      },
    );
    await expect(sending).rejects.toMatchObject({ id: 'tooLate', platform: 'telegram', chatId: '42' });
  });

  it('reports a blocked bot as chatGone and tells the subscription store, without retrying', async () => {
    const events = recordingEvents();
    const delivery = new Delivery({ clock: virtualClock(), events });
    let calls = 0;
    const sending = delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => {
        calls++;
        throw telegramError(403, 'Forbidden: bot was blocked by the user');
      },
    );
    await expect(sending).rejects.toBeInstanceOf(ChatDeliveryError);
    expect(calls).toBe(1);
    expect(events.gone).toEqual(['telegram:42:blocked']);
  });

  it('follows a group migration to the new chat id and resends there', async () => {
    const events = recordingEvents();
    const delivery = new Delivery({ clock: virtualClock(), events });
    const chats: string[] = [];
    await delivery.send(
      { platform: 'telegram', chatId: '-100', kind: 'alert', method: 'sendMessage' },
      async (chat) => {
        chats.push(chat);
        if (chat === '-100')
          throw telegramError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
            migrate_to_chat_id: -1001234,
          });
        return true;
      },
    );
    expect(chats).toEqual(['-100', '-1001234']);
    expect(events.moved).toEqual(['telegram:-100->-1001234']);
  });

  it('sorts Discord 10003 and 50001 as a gone channel with the reason', async () => {
    const events = recordingEvents();
    const delivery = new Delivery({ clock: virtualClock(), events });
    const discordError = (status: number, code: number) =>
      Object.assign(new Error('x'), { name: 'DiscordAPIError[x]', status, code });
    await expect(
      delivery.send({ platform: 'discord', chatId: '1', kind: 'alert', method: 'post' }, () =>
        Promise.reject(discordError(404, 10003)),
      ),
    ).rejects.toMatchObject({ id: 'chatGone' });
    await expect(
      delivery.send({ platform: 'discord', chatId: '2', kind: 'alert', method: 'post' }, () =>
        Promise.reject(discordError(403, 50001)),
      ),
    ).rejects.toMatchObject({ id: 'chatGone' });
    expect(events.gone).toEqual(['discord:1:unknownChannel', 'discord:2:missingAccess']);
  });

  it('never puts a bot token into an error message', async () => {
    const delivery = new Delivery({ clock: virtualClock(), retry: { maxDelayMs: 1 } });
    const token = '123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345';
    const sending = delivery.send(
      { platform: 'telegram', chatId: '42', kind: 'alert', method: 'sendMessage' },
      async () => {
        throw Object.assign(
          new Error(`request to http://127.0.0.1/bot${token}/sendMessage failed, reason: socket hang up`),
          { name: 'FetchError' },
        );
      },
    );
    const error = (await sending.catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain(token);
    expect(redactSecrets(`Authorization: Bot ${'x'.repeat(60)}`)).toBe('Authorization: Bot [REDACTED]');
  });

  it('keeps Telegram sends to one group within 20 a minute', async () => {
    const clock = virtualClock();
    const delivery = new Delivery({ clock });
    const sentAt: number[] = [];
    for (let i = 0; i < 25; i++) {
      await delivery.send({ platform: 'telegram', chatId: '-1005', kind: 'alert', method: 'sendMessage' }, async () =>
        sentAt.push(clock.now()),
      );
    }
    const first = sentAt[0] ?? 0;
    expect(sentAt.filter((t) => t - first < 60_000).length).toBeLessThanOrEqual(20);
  });
});

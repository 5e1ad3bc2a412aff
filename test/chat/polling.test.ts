// The polling guard on its own: which getUpdates failures it retries (and how long it waits), and which it gives
// back at once. The 409 Conflict against the real telegraf and the fake Bot API is in telegram.test.ts.
import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { PollingGuard } from '../../src/chat/polling.js';

/** A getUpdates that fails with each of `errors` in turn, then answers `[]`. */
function failingThen(errors: unknown[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    getUpdates: () => {
      const error = errors[calls++];
      return error === undefined ? Promise.resolve([]) : Promise.reject(error);
    },
  };
}

function networkError(): Error {
  return Object.assign(new Error('request to http://127.0.0.1/bot[REDACTED]/getUpdates failed'), {
    name: 'FetchError',
    code: 'ECONNREFUSED',
  });
}

describe('the polling guard', () => {
  it('retries network errors and 5xx with growing backoff until they pass, then reports polling as up', async () => {
    const waits: number[] = [];
    const statuses: string[] = [];
    const guard = new PollingGuard({
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
        statuses.push(guard.status().state);
      },
    });
    const api = failingThen([
      networkError(),
      new TelegramError({ error_code: 502, description: 'Bad Gateway' }),
      networkError(),
    ]);
    expect(await guard.call(api.getUpdates)).toEqual([]);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(statuses).toEqual(['retrying', 'retrying', 'retrying']);
    expect(guard.status()).toMatchObject({ state: 'ok', reason: null, failures: 0 });
  });

  it("waits a 429's retry_after", async () => {
    const waits: number[] = [];
    const guard = new PollingGuard({ sleep: async (ms) => void waits.push(ms) });
    const api = failingThen([
      new TelegramError({
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      }),
    ]);
    await guard.call(api.getUpdates);
    expect(waits).toEqual([7000]);
  });

  it('gives a 401 back at once and reports polling as failed', async () => {
    const guard = new PollingGuard({ sleep: () => Promise.reject(new Error('must not wait')) });
    const unauthorized = new TelegramError({ error_code: 401, description: 'Unauthorized' });
    const api = failingThen([unauthorized]);
    await expect(guard.call(api.getUpdates)).rejects.toBe(unauthorized);
    expect(api.calls).toBe(1);
    expect(guard.status()).toMatchObject({ state: 'failed', reason: '401: Unauthorized' });
  });

  it('stops retrying at once when polling is stopped during a wait', async () => {
    const stop = new AbortController();
    const guard = new PollingGuard({
      sleep: async () => stop.abort(),
    });
    const api = failingThen([networkError(), networkError()]);
    await expect(guard.call(api.getUpdates, stop.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(api.calls).toBe(1);
  });
});

// Replays turn ccxt’s throttler and its scan for unsafe integers off, and only against the mock: a venue without an
// origin override keeps both.
import { describe, expect, it } from 'vitest';
import { createExchange } from '../../src/market/client.js';
import { VENUE_ADAPTERS } from '../../src/market/venues/index.js';

describe('the ccxtRateLimit tuning flag', () => {
  it('turns the throttler off for the mock exchange and never for a real venue', async () => {
    const adapter = VENUE_ADAPTERS.binanceusdm;
    const mock = createExchange(adapter, {
      timeoutMs: 1000,
      origin: 'http://127.0.0.1:9/binanceusdm',
      rateLimit: false,
    });
    const real = createExchange(adapter, { timeoutMs: 1000, origin: undefined, rateLimit: false });
    const standard = createExchange(adapter, { timeoutMs: 1000, origin: 'http://127.0.0.1:9/binanceusdm' });
    try {
      expect(mock.enableRateLimit).toBe(false);
      expect(real.enableRateLimit).toBe(true);
      expect(standard.enableRateLimit).toBe(true);
    } finally {
      await Promise.all([mock.close(), real.close(), standard.close()]);
    }
  });
});

describe('the ccxtQuoteJsonNumbers tuning flag', () => {
  it('drops ccxt’s scan for unsafe integers against the mock when asked, never for a real venue', async () => {
    const adapter = VENUE_ADAPTERS.okx;
    const mock = createExchange(adapter, {
      timeoutMs: 1000,
      origin: 'http://127.0.0.1:9/okx',
      quoteJsonNumbers: false,
    });
    const real = createExchange(adapter, { timeoutMs: 1000, origin: undefined, quoteJsonNumbers: false });
    const standard = createExchange(adapter, { timeoutMs: 1000, origin: 'http://127.0.0.1:9/okx' });
    try {
      expect(mock.quoteJsonNumbers).toBe(false);
      expect(real.quoteJsonNumbers).toBe(true);
      expect(standard.quoteJsonNumbers).toBe(true);
      // Without the scan an answer without unsafe integers parses to the same value.
      const body = '{"code":"0","data":[{"ts":"1735689600000","px":101.5,"n":1735689600000}]}';
      expect(mock.parseJson(body)).toEqual(standard.parseJson(body));
    } finally {
      await Promise.all([mock.close(), real.close(), standard.close()]);
    }
  });
});

// Replays turn ccxt's throttler off, and only against the mock: a venue without an origin override keeps it.
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

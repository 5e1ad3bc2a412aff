// A replay steps at the bot's production cadence unless told otherwise: the default step is read off the default
// RISK_CRON, so the two cannot drift apart.
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.js';
import { cronCadenceSec, DEFAULT_RISK_CRON, DEFAULT_STEP_SEC } from '../../src/replay/cadence.js';

describe('the replay cadence', () => {
  it('reads the spacing of evenly spaced cron expressions, with or without a seconds field', () => {
    expect(cronCadenceSec('10,40 * * * * *')).toBe(30);
    expect(cronCadenceSec('*/30 * * * * *')).toBe(30);
    expect(cronCadenceSec('* * * * * *')).toBe(1);
    expect(cronCadenceSec('15 * * * * *')).toBe(60);
    expect(cronCadenceSec('0 */15 * * * *')).toBe(900);
    expect(cronCadenceSec('*/5 * * * *')).toBe(300);
    expect(cronCadenceSec('0 0-23/6 * * *')).toBe(6 * 3600);
    expect(cronCadenceSec('0 0 * * *')).toBe(86_400);
  });

  it('gives no cadence when the runs are unevenly spaced or depend on the day', () => {
    expect(cronCadenceSec('0,10 * * * * *')).toBeNull();
    expect(cronCadenceSec('0 0,16 * * *')).toBeNull();
    expect(cronCadenceSec('*/7 * * * * *')).toBeNull();
    expect(cronCadenceSec('0 * * * * 1')).toBeNull();
    expect(cronCadenceSec('0 0 1 * *')).toBeNull();
    expect(cronCadenceSec('every minute')).toBeNull();
    expect(cronCadenceSec('61 * * * * *')).toBeNull();
  });

  it('defaults the step to the cadence of the default RISK_CRON, thirty seconds', () => {
    expect(DEFAULT_RISK_CRON).toBe(envSchema.parse({}).RISK_CRON);
    expect(DEFAULT_STEP_SEC).toBe(cronCadenceSec(DEFAULT_RISK_CRON));
    expect(DEFAULT_STEP_SEC).toBe(30);
  });
});

// Time as the delivery layer sees it: injected, so tests and the bench can run the real limiter logic faster
// than the wall clock.

export interface Clock {
  /** Epoch ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock that runs `factor` times faster than the wall clock: `now()` advances `factor` ms per real ms and
 * `sleep(ms)` waits `ms / factor` real ms. Limiters and fakes sharing one scaled clock keep their real rates in
 * virtual time, so a test can check 30 messages a second in a fraction of the real time.
 */
export function scaledClock(factor: number, startAt = Date.now()): Clock {
  const realStart = performance.now();
  return {
    now: () => Math.floor(startAt + (performance.now() - realStart) * factor),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
  };
}

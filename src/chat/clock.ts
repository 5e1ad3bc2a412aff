// Time as the delivery layer sees it: injected, so tests and the bench can run the real limiter logic faster
// than the wall clock.

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Waits `ms`; returns early (resolves, never rejects) when `signal` aborts. Callers check `signal.aborted`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A timer of `realMs` that an abort cuts short, so a stopped worker leaves no sleeping timers behind. */
function abortableTimer(realMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, realMs));
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableTimer(ms, signal),
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
    sleep: (ms, signal) => abortableTimer(ms / factor, signal),
  };
}

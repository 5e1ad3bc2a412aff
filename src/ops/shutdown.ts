// Graceful shutdown: on the first SIGINT or SIGTERM the steps run in order (each awaited, each bounded by a
// timeout so one stuck step cannot hold the rest), then `done` gets 0, or 1 when a step failed or timed out.
// A second signal while stopping exits at once with 1, unless it repeats the first within a second: tsx (and a
// terminal's Ctrl-C to the process group) delivers one request twice, milliseconds apart. `fail` runs the same
// stop for a part that cannot recover, and reports 1.
import type { Logger } from '../log/logger.js';

export interface ShutdownStep {
  name: string;
  run: () => void | Promise<void>;
  /** Give up waiting after this long (ms) and go on with the next step. Default 15 000. */
  timeoutMs?: number;
}

export interface ShutdownOptions {
  steps: readonly ShutdownStep[];
  log: Logger;
  /** Called once when every step has run: 0 on a clean stop, 1 otherwise. */
  done: (code: 0 | 1) => void;
  /** Called on a second signal while stopping (process.exit(1) in main). */
  abort: () => void;
  /** The same signal again within this many ms of the first is the same request, ignored. Default 1000. */
  repeatWindowMs?: number;
  /** Epoch ms; injected so tests need no timers. */
  now?: () => number;
}

export const DEFAULT_STEP_TIMEOUT_MS = 15_000;
export const DEFAULT_REPEAT_WINDOW_MS = 1_000;

/**
 * Returns the signal handler and `fail` (stop because something cannot recover, exit code 1); `stopping` tells
 * whether a shutdown is under way.
 */
export function gracefulShutdown(options: ShutdownOptions): {
  handle: (signal: string) => Promise<void>;
  fail: (reason: string) => Promise<void>;
  readonly stopping: boolean;
} {
  const now = options.now ?? Date.now;
  const repeatWindowMs = options.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS;
  let stopping = false;
  let first: { signal: string; at: number } | undefined;
  const handle = async (signal: string): Promise<void> => {
    if (stopping) {
      // Stopping on `fail`: a supervisor's signal now asks for what is already under way.
      if (first === undefined) {
        first = { signal, at: now() };
        options.log.info('signal while stopping on a failure: going on with the stop', { signal });
        return;
      }
      if (first.signal === signal && now() - first.at < repeatWindowMs) {
        options.log.info('the same signal again at once: taken as the same request', { signal });
        return;
      }
      options.log.warn('second signal while stopping: exiting at once', { signal });
      options.abort();
      return;
    }
    first = { signal, at: now() };
    await stop({ signal }, 0);
  };
  const fail = async (reason: string): Promise<void> => {
    if (stopping) return;
    await stop({ reason }, 1);
  };
  const stop = async (why: { signal: string } | { reason: string }, initial: 0 | 1): Promise<void> => {
    stopping = true;
    if (initial === 0) options.log.info('stopping', why);
    else options.log.error('stopping: a part cannot recover', why);
    let code: 0 | 1 = initial;
    for (const step of options.steps) {
      const timeoutMs = step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      try {
        const outcome = await Promise.race([
          Promise.resolve()
            .then(() => step.run())
            .then(() => 'done' as const),
          new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), timeoutMs);
            timer.unref();
          }),
        ]);
        if (outcome === 'timeout') {
          code = 1;
          options.log.warn('shutdown step timed out; going on', { step: step.name, timeoutMs });
        } else {
          options.log.debug('shutdown step done', { step: step.name });
        }
      } catch (error) {
        code = 1;
        options.log.error('shutdown step failed', { step: step.name, error });
      } finally {
        clearTimeout(timer);
      }
    }
    options.log.info('stopped', { exitCode: code });
    options.done(code);
  };
  return {
    handle,
    fail,
    get stopping() {
      return stopping;
    },
  };
}

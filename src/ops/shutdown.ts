// Graceful shutdown: on the first SIGINT or SIGTERM the steps run in order (each awaited, each bounded by a
// timeout so one stuck step cannot hold the rest), then `done` gets 0, or 1 when a step failed or timed out.
// A second signal while stopping exits at once with 1.
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
}

export const DEFAULT_STEP_TIMEOUT_MS = 15_000;

/** Returns the signal handler; `stopping` tells whether a shutdown is under way. */
export function gracefulShutdown(options: ShutdownOptions): {
  handle: (signal: string) => Promise<void>;
  readonly stopping: boolean;
} {
  let stopping = false;
  const handle = async (signal: string): Promise<void> => {
    if (stopping) {
      options.log.warn('second signal while stopping: exiting at once', { signal });
      options.abort();
      return;
    }
    stopping = true;
    options.log.info('stopping', { signal });
    let code: 0 | 1 = 0;
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
    get stopping() {
      return stopping;
    },
  };
}

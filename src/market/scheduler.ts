// Jobs on node-cron schedules. Each venue's jobs are separate tasks, so one venue's slowness never delays another,
// and a job never overlaps itself: a tick that finds the previous run still going is skipped and counted.
import cron from 'node-cron';
import type { TaskOptions } from 'node-cron';
import type { Logger } from '../log/logger.js';

/** A job that never runs twice at once; a trigger while it runs is skipped and counted. */
export class SerialJob<T> {
  private running: Promise<T> | null = null;
  /** Triggers skipped because the previous run was still going. */
  skipped = 0;

  constructor(
    readonly name: string,
    private readonly body: () => Promise<T>,
    private readonly onSkip?: (name: string) => void,
  ) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Runs the job, or skips it when the previous run is still going. Never rejects if `body` never rejects. */
  async trigger(): Promise<{ ran: true; result: T } | { ran: false }> {
    if (this.running !== null) {
      this.skipped += 1;
      this.onSkip?.(this.name);
      return { ran: false };
    }
    const run = this.body();
    this.running = run;
    try {
      return { ran: true, result: await run };
    } finally {
      this.running = null;
    }
  }

  /** Waits for the run in progress, if any (never rejects). */
  async idle(): Promise<void> {
    const running = this.running;
    if (running !== null)
      await running.then(
        () => undefined,
        () => undefined,
      );
  }
}

/** The part of node-cron's task the service uses. */
export interface CronTask {
  stop(): void | Promise<void>;
  destroy(): void | Promise<void>;
}

/** node-cron's `schedule`, or a stand-in in tests. */
export type ScheduleFn = (expression: string, run: () => Promise<void>, options: TaskOptions) => CronTask;

/** node-cron writes to the console by default (stdout is for replies); this sends its messages to our logger. */
export function cronLoggerFor(log: Logger) {
  const cronLog = log.child({ scheduler: 'node-cron' });
  return {
    info: (message: string) => cronLog.debug(message),
    debug: (message: string | Error) => cronLog.debug(String(message)),
    warn: (message: string) => cronLog.warn(message),
    error: (message: string | Error, error?: Error) => cronLog.error(String(message), { error }),
  };
}

export const cronSchedule: ScheduleFn = (expression, run, options) => cron.schedule(expression, run, options);

export function validCron(expression: string): boolean {
  return cron.validate(expression);
}

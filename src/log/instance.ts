// Who writes a log line: the instance (one process of the bot) and the role it holds now. Kept apart from the
// logger so the configuration can name the default without loading pino.
import { hostname } from 'node:os';

/** The role of a bot that runs alone: it polls, scores, alerts and answers commands itself. */
export const SINGLE_ROLE = 'single';

/** The instance id when INSTANCE_ID is not set: unique per host and process, stable for the process's life. */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`;
}

// How often the bot scores the market in production, so a replay steps at the same cadence by default: a replay
// that scored more often than the bot would show warnings the bot could not give.
import { envSchema } from '../config/env.js';

const DAY_SEC = 86_400;

/** The values a cron field allows in [min, max]: `*`, `a`, `a-b`, `*\/n`, `a-b/n`, `a/n`, lists of these; null otherwise. */
function fieldValues(field: string, min: number, max: number): number[] | null {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (match === null) return null;
    const [, first = '', last, every] = match;
    const from = first === '*' ? min : Number(first);
    const to = first === '*' ? max : last !== undefined ? Number(last) : every !== undefined ? max : from;
    const stride = every === undefined ? 1 : Number(every);
    if (first === '*' && last !== undefined) return null;
    if (from < min || to > max || from > to || stride < 1) return null;
    for (let value = from; value <= to; value += stride) values.add(value);
  }
  return [...values];
}

/**
 * Seconds between two runs of a cron expression (5 fields, or 6 with seconds first) when its runs are evenly
 * spaced through every day: `10,40 * * * * *` is 30, `*\/5 * * * *` is 300. Null when the spacing varies
 * (`0,10 * * * * *`) or depends on the day (a day-of-month, month or weekday field other than `*`).
 */
export function cronCadenceSec(expression: string): number | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return null;
  const [second = '0', minute = '', hour = '', ...dayFields] = fields.length === 6 ? fields : ['0', ...fields];
  if (dayFields.some((field) => field !== '*')) return null;
  const seconds = fieldValues(second, 0, 59);
  const minutes = fieldValues(minute, 0, 59);
  const hours = fieldValues(hour, 0, 23);
  if (seconds === null || minutes === null || hours === null) return null;
  const runs: number[] = [];
  for (const h of hours) for (const m of minutes) for (const s of seconds) runs.push(h * 3600 + m * 60 + s);
  runs.sort((a, b) => a - b);
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (first === undefined || last === undefined) return null;
  // The gap over midnight counts too: `0 0,16 * * *` runs 16 h then 8 h apart.
  const spacing = first + DAY_SEC - last;
  for (let i = 1; i < runs.length; i++) if ((runs[i] as number) - (runs[i - 1] as number) !== spacing) return null;
  return spacing;
}

/** RISK_CRON when the environment does not set it (src/config/env.ts). */
export const DEFAULT_RISK_CRON: string = envSchema.shape.RISK_CRON.parse(undefined);

/** The default replay step: the cadence of the default RISK_CRON (30 s). */
export const DEFAULT_STEP_SEC: number = cronCadenceSec(DEFAULT_RISK_CRON) ?? 30;

// Whether the market data a command would read is there and fresh, and, when it is not, why: which venues
// are failing and which have not been polled yet. A command answers "no data" rather than a reading made of
// nothing, which would look calm.
import type { MarketInfo, Snapshot, VenueHealth } from '../domain/market.js';
import { DEFAULT_RISK_PARAMETERS } from '../risk/parameters.js';
import type { Services } from './command.js';
import { userError } from './errors.js';
import type { Reply } from './reply.js';
import { formatDuration } from './text.js';

/** A snapshot older than this counts as missing: the risk engine reads no value older than it either. */
export const FRESH_SNAPSHOT_MS = DEFAULT_RISK_PARAMETERS.features.maxValueAgeMs;
/** A venue's last error is cut to this many characters: a status line, never a stack trace. */
const ERROR_CHARS = 80;

export function isFresh(snapshot: Pick<Snapshot, 'at'>, now: number): boolean {
  return snapshot.at >= now - FRESH_SNAPSHOT_MS;
}

/** The first line of a venue's last error, cut short (the market module has already removed any secret). */
function errorText(error: string | null): string | null {
  const line = error?.split('\n')[0]?.trim() ?? '';
  if (line === '') return null;
  return line.length > ERROR_CHARS ? `${line.slice(0, ERROR_CHARS - 1)}…` : line;
}

function isFailing(v: VenueHealth): boolean {
  return v.consecutiveFailures > 0 || v.state === 'degraded' || v.state === 'disabled';
}

export function isWaiting(v: VenueHealth): boolean {
  return !isFailing(v) && (v.state === 'not polled' || v.lastSuccessAt === null);
}

function failure(v: VenueHealth): string {
  const error = errorText(v.lastError);
  const what = v.state === 'disabled' ? 'disabled' : `${v.consecutiveFailures} failure(s) in a row`;
  return `${v.exchange}: ${error === null ? what : v.state === 'disabled' ? `disabled, ${error}` : error}`;
}

/** Why the given venues give no fresh data, in one sentence, from their health. */
export function venuesSentence(subject: string, venues: readonly VenueHealth[], now: number): string {
  if (venues.length === 0) return `${subject}: no venue reports its health.`;
  const failing = venues.filter(isFailing);
  const waiting = venues.filter(isWaiting);
  const rest = venues.filter((v) => !isFailing(v) && !isWaiting(v));
  const names = (list: readonly VenueHealth[]) => list.map((v) => v.exchange).join(', ');
  if (waiting.length === venues.length) {
    return `${subject} yet: no venue has been polled since start-up (${names(waiting)}: waiting for the first poll).`;
  }
  if (failing.length === venues.length) {
    return `${subject}: every venue is failing (${failing.map(failure).join('; ')}).`;
  }
  const parts = [
    failing.length > 0 ? `failing: ${failing.map(failure).join('; ')}` : '',
    waiting.length > 0 ? `waiting for the first poll: ${names(waiting)}` : '',
    ...rest.map(
      (v) =>
        `${v.exchange} gave no fresh snapshot${v.lastSuccessAt === null ? '' : ` (last poll ${formatDuration(now - v.lastSuccessAt)} ago)`}`,
    ),
  ];
  return `${subject}: ${parts.filter(Boolean).join('; ')}.`;
}

/** Which data a command asks about: all of it, or the markets a query named; `subject` opens the sentence. */
export interface DataScope {
  /** `No market data`, `No fresh data for BTC`. */
  subject: string;
  markets?: readonly MarketInfo[];
}

/** Why there is no fresh market data in scope, or null when there is some. */
export function missingDataReason(
  services: Services,
  now: number,
  scope: DataScope = { subject: 'No market data' },
): string | null {
  const market = services.market;
  if (!market) return 'Market data is not running in this process.';
  const keys = scope.markets && new Set(scope.markets.map((m) => `${m.exchange}:${m.symbol}`));
  const exchanges = scope.markets && new Set(scope.markets.map((m) => m.exchange));
  const snapshots = market.latestSnapshots().filter((s) => keys === undefined || keys.has(`${s.exchange}:${s.symbol}`));
  if (snapshots.some((s) => isFresh(s, now))) return null;
  const venues =
    services.health?.venueHealth().filter((v) => exchanges === undefined || exchanges.has(v.exchange)) ?? [];
  if (venues.length > 0) return venuesSentence(scope.subject, venues, now);
  const newestAt = Math.max(...snapshots.map((s) => s.at));
  return snapshots.length === 0
    ? `${scope.subject} yet: nothing has been polled since start-up.`
    : `${scope.subject}: the newest snapshot is ${formatDuration(now - newestAt)} old.`;
}

/** The reply for missing market data, or null when there is fresh data to answer from. */
export function missingDataReply(services: Services, now: number, scope?: DataScope): Reply | null {
  const what = missingDataReason(services, now, scope);
  return what === null ? null : userError('noData', { what });
}

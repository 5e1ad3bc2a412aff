import type { VenueHealth } from '../domain/market.js';
import type { CommandDefinition } from './command.js';
import { isWaiting, missingDataReason, venuesSentence } from './dataState.js';
import { userError } from './errors.js';
import { reply } from './reply.js';
import { formatDuration } from './text.js';

const COVERAGE_NOTE: Record<VenueHealth['liquidationCoverage'], string> = {
  all: 'every liquidation',
  sampled: 'a sample: at most one per market per second, so totals are a lower bound',
  'not streamed': 'not streamed by this venue',
};

function describeVenue(health: VenueHealth, now: number): string {
  const lastPoll =
    health.lastSuccessAt === null
      ? 'never polled successfully'
      : `last poll ${formatDuration(now - health.lastSuccessAt)} ago`;
  const failures =
    health.consecutiveFailures > 0
      ? ` · ${health.consecutiveFailures} failure(s) in a row${health.lastError ? `: ${health.lastError}` : ''}`
      : '';
  const lastLiquidation =
    health.lastLiquidationAt === null ? '' : `, last ${formatDuration(now - health.lastLiquidationAt)} ago`;
  return [
    `${health.state} · ${health.marketsWatched} markets · ${lastPoll}${failures}`,
    `liquidations: ${health.liquidationStream} (${COVERAGE_NOTE[health.liquidationCoverage]}${lastLiquidation})`,
  ].join('\n');
}

export const statusCommand: CommandDefinition = {
  name: 'status',
  description: "Each venue's health, freshness and liquidation stream",
  usage: 'status',
  options: [],
  run(_args, { services, now }) {
    if (!services.health) return userError('noData', { what: 'Market data is not running in this process.' });
    const venues = services.health.venueHealth();
    const healthy = venues.filter((v) => v.state === 'ok').length;
    // Without fresh data "all healthy" (or "0 of 0") is no all-clear: say what is missing. Without the store,
    // the venues' health alone tells it.
    const missing = services.market
      ? missingDataReason(services, now)
      : healthy === 0
        ? venuesSentence('No market data', venues, now)
        : null;
    const onlyWaiting = venues.length > 0 && venues.every(isWaiting);
    const level =
      healthy === 0 && venues.length > 0 && !onlyWaiting
        ? 'critical'
        : healthy === venues.length && missing === null
          ? 'info'
          : 'warning';
    const body = [`${healthy} of ${venues.length} venue(s) healthy.`, missing ?? ''].filter(Boolean).join('\n\n');
    return reply('Status', body, {
      level,
      fields: venues.map((v) => ({ name: v.exchange, value: describeVenue(v, now) })),
      data: { venues },
    });
  },
};

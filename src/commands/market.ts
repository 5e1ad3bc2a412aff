import type { Snapshot } from '../domain/market.js';
import type { CommandDefinition } from './command.js';
import { stringArg } from './command.js';
import { isFresh, missingDataReply } from './dataState.js';
import { userError } from './errors.js';
import { reply, type ReplyField } from './reply.js';
import { notPolledYet, resolveOrReply, symbolOption } from './symbols.js';
import { formatDuration, formatPercent, formatPrice, formatUsd } from './text.js';

const NOT_GIVEN = 'n/a';

function describeSnapshot(snapshot: Snapshot, now: number): string {
  const or = <T>(value: T | null, format: (v: T) => string): string => (value === null ? NOT_GIVEN : format(value));
  const basis =
    snapshot.markPrice !== null && snapshot.indexPrice !== null
      ? formatPercent(snapshot.markPrice / snapshot.indexPrice - 1, 3)
      : NOT_GIVEN;
  const interval = snapshot.fundingIntervalHours === null ? '' : ` per ${snapshot.fundingIntervalHours} h`;
  const annual = or(snapshot.fundingRateAnnualized, (r) => ` (${formatPercent(r, 1)} a year)`);
  const nextFunding = or(snapshot.nextFundingAt, (at) => `, next in ${formatDuration(at - now)}`);
  const oneBand = snapshot.depthBands?.find((b) => b.withinPercent === 1);
  const lines = [
    `mark ${or(snapshot.markPrice, formatPrice)} · index ${or(snapshot.indexPrice, formatPrice)} · basis ${basis}`,
    `funding ${or(snapshot.fundingRate, (r) => formatPercent(r, 4))}${interval}${snapshot.fundingRate === null ? '' : annual}${snapshot.nextFundingAt === null ? '' : nextFunding}`,
    `open interest ${or(snapshot.openInterestUsd, formatUsd)} · 24 h volume ${or(snapshot.volume24hUsd, formatUsd)}`,
    `depth ±1%: ${oneBand ? `bids ${formatUsd(oneBand.bidUsd)} / asks ${formatUsd(oneBand.askUsd)}` : NOT_GIVEN} · long/short accounts ${or(snapshot.longShortAccountRatio, (r) => r.toFixed(2))}`,
    `updated ${formatDuration(now - snapshot.at)} ago${isFresh(snapshot, now) ? '' : ' (stale: not counted in risk scores)'}`,
  ];
  return lines.join('\n');
}

export const marketCommand: CommandDefinition = {
  name: 'market',
  description: 'The latest figures of a market on every venue that lists it',
  usage: 'market <symbol>',
  options: [symbolOption(true)],
  run(args, { services, now }) {
    const market = services.market;
    if (!market) return userError('noData', { what: 'Market data is not running in this process.' });
    const missing = missingDataReply(services, now);
    if (missing) return missing;
    const query = stringArg(args, 'symbol') ?? '';
    const resolved = resolveOrReply(query, market.markets());
    if (!resolved.ok) return resolved.reply;
    const missingHere = missingDataReply(services, now, {
      subject: `No fresh data for ${query}`,
      markets: resolved.markets,
    });
    if (missingHere) return missingHere;
    const wanted = new Set(resolved.markets.map((m) => `${m.exchange}:${m.symbol}`));
    const snapshots = market.latestSnapshots().filter((s) => wanted.has(`${s.exchange}:${s.symbol}`));
    if (snapshots.length === 0) {
      return notPolledYet(query);
    }
    const sorted = [...snapshots].sort((a, b) => (b.openInterestUsd ?? 0) - (a.openInterestUsd ?? 0));
    const fields: ReplyField[] = sorted.map((s) => ({
      name: `${s.exchange} ${s.symbol}`,
      value: describeSnapshot(s, now),
    }));
    const base = sorted[0]?.base ?? query;
    return reply(
      `${base} perpetuals`,
      `${sorted.length} market(s) on ${new Set(sorted.map((s) => s.exchange)).size} venue(s).`,
      {
        fields,
        links: [
          { label: 'Funding rate', command: 'term funding-rate' },
          { label: 'Open interest', command: 'term open-interest' },
          { label: 'Basis', command: 'term basis' },
        ],
        data: { snapshots: sorted },
      },
    );
  },
};

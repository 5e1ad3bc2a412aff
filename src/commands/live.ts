// Today's figures beside a glossary entry, so a lookup teaches with the current market.
import type { Snapshot } from '../domain/market.js';
import { estimateCascade } from '../risk/cascade.js';
import type { LiveMeasure } from '../glossary/types.js';
import type { Services } from './command.js';
import { isFresh, missingDataReason } from './dataState.js';
import { RISK_HISTORY_MS } from './riskData.js';
import { formatPercent, formatPrice, formatUsd } from './text.js';

/** How many of the largest markets a live line quotes. */
const LARGEST = 3;
const HOUR_MS = 3_600_000;

function largest(snapshots: readonly Snapshot[], has: (s: Snapshot) => boolean): Snapshot[] {
  return snapshots
    .filter((s) => s.openInterestUsd !== null && has(s))
    .sort((a, b) => (b.openInterestUsd ?? 0) - (a.openInterestUsd ?? 0))
    .slice(0, LARGEST);
}

function quote(
  snapshots: readonly Snapshot[],
  has: (s: Snapshot) => boolean,
  say: (s: Snapshot) => string,
): string | null {
  const top = largest(snapshots, has);
  return top.length === 0 ? null : top.map((s) => `${s.base} ${say(s)} on ${s.exchange}`).join('; ');
}

/**
 * One line of current figures for `measure`; why there are none when the market data is missing (never a calm
 * figure made of nothing); null when the data is there but no market gives this measure, or no market data runs.
 */
export function liveLine(measure: LiveMeasure, services: Services, now: number): string | null {
  const market = services.market;
  if (!market) return null;
  const missing = missingDataReason(services, now);
  if (missing !== null) return missing;
  const snapshots = market.latestSnapshots().filter((s) => isFresh(s, now));
  switch (measure) {
    case 'fundingRate':
      return quote(
        snapshots,
        (s) => s.fundingRate !== null,
        (s) =>
          `funding ${formatPercent(s.fundingRate ?? 0, 4)}${s.fundingIntervalHours === null ? '' : ` per ${s.fundingIntervalHours} h`}` +
          (s.fundingRateAnnualized === null ? '' : ` (about ${formatPercent(s.fundingRateAnnualized, 0)} a year)`),
      );
    case 'openInterest': {
      const total = snapshots.reduce((sum, s) => sum + (s.openInterestUsd ?? 0), 0);
      const top = quote(
        snapshots,
        () => true,
        (s) => formatUsd(s.openInterestUsd ?? 0),
      );
      return top === null ? null : `${formatUsd(total)} across ${snapshots.length} watched markets; largest: ${top}`;
    }
    case 'basis':
      return quote(
        snapshots,
        (s) => s.markPrice !== null && s.indexPrice !== null,
        (s) =>
          `mark ${formatPrice(s.markPrice ?? 0)} vs index ${formatPrice(s.indexPrice ?? 0)}, basis ${formatPercent((s.markPrice ?? 0) / (s.indexPrice ?? 1) - 1, 3)}`,
      );
    case 'longShortRatio':
      return quote(
        snapshots,
        (s) => s.longShortAccountRatio !== null,
        (s) => `${(s.longShortAccountRatio ?? 0).toFixed(2)} long accounts per short`,
      );
    case 'orderBookDepth':
      return quote(
        snapshots,
        (s) => s.depthBands?.some((b) => b.withinPercent === 1) === true,
        (s) => {
          const band = s.depthBands?.find((b) => b.withinPercent === 1);
          return `bids ${formatUsd(band?.bidUsd ?? 0)} / asks ${formatUsd(band?.askUsd ?? 0)} within 1%`;
        },
      );
    case 'liquidations': {
      const buckets = market.liquidationBuckets(now - HOUR_MS);
      if (buckets.length === 0) return 'no liquidations seen in the last hour';
      const sum = (side: string) => buckets.filter((b) => b.side === side).reduce((total, b) => total + b.sizeUsd, 0);
      return `${formatUsd(sum('long'))} of longs and ${formatUsd(sum('short'))} of shorts liquidated in the last hour (the venues' feeds are samples: a lower bound)`;
    }
    case 'cascadeAmplification': {
      const [top] = largest(snapshots, (s) => s.markPrice !== null);
      if (!top) return null;
      const estimate = estimateCascade({
        history: market.history(top.exchange, top.symbol, now - RISK_HISTORY_MS),
        now,
        shock: 0.05,
      });
      return estimate.ok
        ? `a 5% drop in ${top.base} on ${top.exchange} would end ${(estimate.totalMove * 100).toFixed(1)}% down: amplification ${estimate.amplification.toFixed(2)}× (an estimate)`
        : null;
    }
  }
}

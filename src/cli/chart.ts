// `chart <symbol> [--cascade shock%] [--up] [--theme dark|light] --out file.png`: draws the market chart (24 h of
// price, open interest, liquidations and funding) or, with --cascade, the cascade chart of a shock, and writes it
// as a PNG file. Exit codes: 0 written, 1 the user's mistake or nothing to draw.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cascadeChart } from '../charts/cascade.js';
import { marketChart } from '../charts/market.js';
import { CHART_THEMES, type ChartThemeName } from '../charts/theme.js';
import type { Services } from '../commands/command.js';
import { RISK_HISTORY_MS } from '../commands/riskData.js';
import { largestByOpenInterest, resolveOrReply } from '../commands/symbols.js';
import { estimateCascade } from '../risk/cascade.js';

const USAGE = 'Usage: chart <symbol> [--cascade shock%] [--up] [--theme dark|light] --out file.png';
const DEFAULT_SHOCK_PERCENT = 5;
const VALUED = new Set(['--cascade', '--theme', '--out']);
const FLAGS = new Set(['--up']);

interface ChartArgs {
  symbol: string;
  cascade: number | null;
  up: boolean;
  theme: ChartThemeName;
  out: string;
}

/** Reads the words after `chart`; a string is the message for a mistake. */
export function parseChartArgs(words: readonly string[]): ChartArgs | string {
  const values = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const [name = '', inline] = word.split(/=(.*)/s, 2);
    if (FLAGS.has(name)) values.set(name, true);
    else if (VALUED.has(name)) {
      const next = words[i + 1];
      if (inline !== undefined) values.set(name, inline);
      else if (next !== undefined && !next.startsWith('--')) {
        values.set(name, next);
        i++;
      } else values.set(name, true);
    } else return `Unknown option ${name}. ${USAGE}`;
  }
  if (positional.length !== 1) {
    return positional.length === 0 ? `Which market? ${USAGE}` : `One market at a time. ${USAGE}`;
  }
  const out = values.get('--out');
  if (typeof out !== 'string' || out.trim() === '') return `Missing --out file.png: where to write the chart. ${USAGE}`;
  const theme = values.get('--theme') ?? 'dark';
  if (theme === true || !(CHART_THEMES as readonly string[]).includes(theme)) {
    return `--theme takes ${CHART_THEMES.join(' or ')}. ${USAGE}`;
  }
  const cascadeValue = values.get('--cascade');
  let cascade: number | null = null;
  if (cascadeValue !== undefined) {
    cascade = cascadeValue === true ? DEFAULT_SHOCK_PERCENT : Number(cascadeValue.replace(/%$/, ''));
    if (!Number.isFinite(cascade) || cascade < 0.1 || cascade > 50) {
      return `--cascade takes a shock in percent from 0.1 to 50, e.g. --cascade 5. ${USAGE}`;
    }
  } else if (values.has('--up')) {
    return `--up goes with --cascade (a rise instead of a drop). ${USAGE}`;
  }
  return {
    symbol: positional[0] as string,
    cascade,
    up: values.has('--up'),
    theme: theme as ChartThemeName,
    out,
  };
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

export async function runChartCommand(
  words: readonly string[],
  services: Services,
  now: number,
  write: (text: string) => void,
): Promise<number> {
  const args = parseChartArgs(words);
  if (typeof args === 'string') {
    write(args);
    return 1;
  }
  const market = services.market;
  if (!market) {
    write('No market data: market data is not running in this process.');
    return 1;
  }
  const resolved = resolveOrReply(args.symbol, market.markets());
  if (!resolved.ok) {
    write(`${resolved.reply.title}: ${resolved.reply.body}`);
    return 1;
  }
  // Of several venues, the one with the largest open interest, as the cascade command picks.
  const target = largestByOpenInterest(resolved.markets, market.latestSnapshots())?.market ?? resolved.markets[0];
  if (target === undefined) {
    write(`No data for ${args.symbol}.`);
    return 1;
  }
  const history = market.history(target.exchange, target.symbol, now - RISK_HISTORY_MS);
  if (history.snapshots.length === 0 && history.liquidationBuckets.length === 0) {
    write(`No data for ${target.symbol} on ${target.exchange} in the last 24 h: the first poll has not finished.`);
    return 1;
  }
  let png: Uint8Array;
  let size: { width: number; height: number };
  if (args.cascade === null) {
    ({ png, ...size } = marketChart(history, args.theme));
  } else {
    const estimate = estimateCascade({
      history,
      now,
      shock: args.cascade / 100,
      direction: args.up ? 'up' : 'down',
      marginTiers: services.leverageTiers?.(target.exchange, target.symbol),
    });
    if (!estimate.ok) {
      write(`No cascade estimate for ${target.symbol} on ${target.exchange}: ${estimate.reason}`);
      return 1;
    }
    ({ png, ...size } = cascadeChart(estimate, args.theme));
  }
  const path = resolve(args.out);
  try {
    writeFileSync(path, png);
  } catch (error) {
    write(`Could not write ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const what = args.cascade === null ? 'market chart' : `cascade chart (${args.cascade}% ${args.up ? 'rise' : 'drop'})`;
  write(
    `${path}: ${what} of ${target.symbol} on ${target.exchange}, ${size.width}×${size.height}, ${kilobytes(png.byteLength)}`,
  );
  return 0;
}

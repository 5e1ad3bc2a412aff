// The chart renderer the commands' `charts` port expects: PNG images with a file name and an alt text.
import type { ChartRenderer } from '../commands/command.js';
import type { ReplyImage } from '../commands/reply.js';
import { cascadeAlt, cascadeChart } from './cascade.js';
import { marketAlt, marketChart } from './market.js';
import type { ChartThemeName } from './theme.js';

/** `cascade-binanceusdm-BTC-USDT-USDT.png`: safe on every platform. */
export function chartFilename(kind: string, exchange: string, symbol: string): string {
  return `${kind}-${exchange}-${symbol}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-+$/, '') + '.png';
}

export function createChartRenderer(theme: ChartThemeName = 'dark'): ChartRenderer {
  return {
    cascade(estimate): ReplyImage {
      return {
        filename: chartFilename('cascade', estimate.exchange, estimate.symbol),
        png: cascadeChart(estimate, theme).png,
        alt: cascadeAlt(estimate),
      };
    },
    market(history): ReplyImage {
      return {
        filename: chartFilename('market', history.exchange, history.symbol),
        png: marketChart(history, theme).png,
        alt: marketAlt(history),
      };
    },
  };
}

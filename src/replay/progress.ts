// A one-line progress display for replays on a terminal: rewritten in place, only when the stream is a TTY.
import type { ReplayProgress } from './replay.js';
import { offsetText } from './format.js';

export interface ProgressLine {
  update(label: string, progress: ReplayProgress): void;
  /** Clears the line (before other output, and at the end). */
  clear(): void;
}

const NONE: ProgressLine = { update: () => undefined, clear: () => undefined };

/** A progress line on `stream` when it is a terminal; a no-op when piped. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (stream.isTTY !== true) return NONE;
  let shown = false;
  let lastDraw = 0;
  return {
    update(label, progress) {
      const nowMs = Date.now();
      if (nowMs - lastDraw < 100 && progress.offsetSec < progress.untilSec) return;
      lastDraw = nowMs;
      const share = Math.min(1, progress.offsetSec / Math.max(progress.untilSec, 1));
      const rate = progress.offsetSec / 60 / Math.max(progress.wallMs / 1000, 0.001);
      const text =
        `${label} ${offsetText(progress.offsetSec)} of ${offsetText(progress.untilSec).slice(1)} ` +
        `(${Math.round(share * 100)}%), ${progress.alerts} alerts, ${rate.toFixed(0)} sim-min/s`;
      stream.write(`\r\x1b[2K${text.slice(0, (stream.columns || 80) - 1)}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

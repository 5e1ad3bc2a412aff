// Drawing helpers shared by the charts: a painter over a @napi-rs/canvas context that records every text it
// draws (for alt texts and tests), nice axis ticks, scales and the "no data" panel.
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { price as formatPrice } from '../domain/format.js';
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { ChartTheme } from './theme.js';

/** A rendered chart: PNG bytes, its size in pixels and the texts drawn on it, in drawing order. */
export interface ChartImage {
  png: Uint8Array;
  width: number;
  height: number;
  texts: readonly string[];
}

/** Phone-readable: about 1000×640 px, the smallest text 20 px. */
export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 640;
export const FONT_SIZE = 20;
export const TITLE_SIZE = 26;
export const NO_DATA = 'no data';

const FONT_FAMILY = 'DejaVu Sans';
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts'];
let fontsChecked = false;

/** Makes sure the font is there: @napi-rs/canvas reads the system fonts, but a bare container may need a hint. */
function ensureFont(): void {
  if (fontsChecked) return;
  fontsChecked = true;
  for (const dir of FONT_DIRS) {
    if (GlobalFonts.has(FONT_FAMILY)) return;
    GlobalFonts.loadFontsFromDir(dir);
  }
}

export interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TextOptions {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: CanvasTextAlign;
  baseline?: CanvasTextBaseline;
  /** Paints the background behind the text first, so it stays readable over bars and lines. */
  box?: boolean;
}

type CanvasTextAlign = 'left' | 'right' | 'center' | 'start' | 'end';
type CanvasTextBaseline = 'top' | 'hanging' | 'middle' | 'alphabetic' | 'ideographic' | 'bottom';

export class Painter {
  readonly ctx: SKRSContext2D;
  readonly texts: string[] = [];
  private readonly canvas;

  constructor(
    readonly theme: ChartTheme,
    readonly width = CHART_WIDTH,
    readonly height = CHART_HEIGHT,
  ) {
    ensureFont();
    this.canvas = createCanvas(width, height);
    this.ctx = this.canvas.getContext('2d');
    this.ctx.fillStyle = theme.background;
    this.ctx.fillRect(0, 0, width, height);
  }

  font(size = FONT_SIZE, bold = false): string {
    return `${bold ? 'bold ' : ''}${size}px "${FONT_FAMILY}", sans-serif`;
  }

  text(value: string, x: number, y: number, options: TextOptions = {}): number {
    const ctx = this.ctx;
    ctx.font = this.font(options.size ?? FONT_SIZE, options.bold ?? false);
    ctx.fillStyle = options.color ?? this.theme.text;
    ctx.textAlign = options.align ?? 'left';
    ctx.textBaseline = options.baseline ?? 'alphabetic';
    if (options.box === true) {
      const m = ctx.measureText(value);
      ctx.save();
      ctx.globalAlpha = 0.8;
      ctx.fillStyle = this.theme.background;
      ctx.fillRect(
        x - m.actualBoundingBoxLeft - 4,
        y - m.actualBoundingBoxAscent - 3,
        m.actualBoundingBoxLeft + m.actualBoundingBoxRight + 8,
        m.actualBoundingBoxAscent + m.actualBoundingBoxDescent + 6,
      );
      ctx.restore();
    }
    ctx.fillText(value, x, y);
    this.texts.push(value);
    return ctx.measureText(value).width;
  }

  measure(value: string, size = FONT_SIZE, bold = false): number {
    this.ctx.font = this.font(size, bold);
    return this.ctx.measureText(value).width;
  }

  line(x1: number, y1: number, x2: number, y2: number, color: string, width = 1, dash: number[] = []): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
    ctx.restore();
  }

  /** A vertical arrow from y1 to y2 with its head at y2. */
  arrow(x: number, y1: number, y2: number, color: string, width = 3): void {
    const ctx = this.ctx;
    const head = Math.min(10, Math.abs(y2 - y1) * 0.6);
    const dir = y2 >= y1 ? 1 : -1;
    this.line(x, y1, x, y2 - dir * head * 0.5, color, width);
    ctx.save();
    ctx.fillStyle = color;
    ctx.beginPath();
    const h = Math.max(head, 6);
    ctx.moveTo(x, y2);
    ctx.lineTo(x - h * 0.7, y2 - dir * h);
    ctx.lineTo(x + h * 0.7, y2 - dir * h);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }

  rect(x: number, y: number, w: number, h: number, color: string, alpha = 1): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalAlpha = alpha;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, w, h);
    ctx.restore();
  }

  frame(area: Area): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = this.theme.axis;
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(area.x) + 0.5, Math.round(area.y) + 0.5, Math.round(area.w), Math.round(area.h));
    ctx.restore();
  }

  /** Says "no data" in the middle of an empty panel. */
  noData(area: Area, what = NO_DATA): void {
    this.frame(area);
    this.text(what, area.x + area.w / 2, area.y + area.h / 2, {
      align: 'center',
      baseline: 'middle',
      color: this.theme.muted,
      size: 22,
    });
  }

  /** A polyline through points; a null value breaks it, and a point alone is drawn as a dot. */
  series(points: readonly ({ x: number; y: number } | null)[], color: string, width = 2.5): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    let run: { x: number; y: number }[] = [];
    const flush = (): void => {
      if (run.length === 1) {
        const p = run[0] as { x: number; y: number };
        ctx.beginPath();
        ctx.arc(p.x, p.y, width * 1.2, 0, Math.PI * 2);
        ctx.fill();
      } else if (run.length > 1) {
        ctx.beginPath();
        run.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
        ctx.stroke();
      }
      run = [];
    };
    for (const point of points) {
      if (point === null) flush();
      else run.push(point);
    }
    flush();
    ctx.restore();
  }

  clip(area: Area, draw: () => void): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.x, area.y, area.w, area.h);
    ctx.clip();
    draw();
    ctx.restore();
  }

  finish(): ChartImage {
    const png = this.canvas.encodeSync('png');
    return {
      png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
      width: this.width,
      height: this.height,
      texts: this.texts,
    };
  }
}

/** A linear map from [d0, d1] to [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return span === 0 ? () => (r0 + r1) / 2 : (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** A round step that cuts `span` into about `count` parts: 1, 2 or 5 × 10^k. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const n = raw / magnitude;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * magnitude;
}

/** Round values within [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return Number.isFinite(min) ? [min] : [];
  const step = niceStep(max - min, count);
  const first = Math.ceil(min / step - 1e-9);
  const out: number[] = [];
  for (let k = first; k * step <= max + step * 1e-9; k++) {
    const v = k * step;
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** The range of the finite values, widened so a flat series still gets an axis; null when there are none. */
export function extent(values: Iterable<number | null>, padShare = 0.06): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return null;
  if (min === max) {
    const pad = Math.abs(min) * 0.005 || 1;
    return { min: min - pad, max: max + pad };
  }
  const pad = (max - min) * padShare;
  return { min: min - pad, max: max + pad };
}

/** A value or null: NaN and infinities count as missing. */
export function finite(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

/** A price tick label with no more precision than the ticks' step needs: 119,456 rather than 119,456.3. */
export function axisPrice(value: number, step: number): string {
  if (!(step > 0) || value < 1) return formatPrice(value);
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step)) + 1));
  const [whole = '', fraction] = value.toFixed(decimals).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** The quote currency of a ccxt unified symbol (`BTC/USDT:USDT` → USDT), the unit of its price. */
export function quoteOf(symbol: string): string {
  return /^[^/]+\/([^:]+)/.exec(symbol)?.[1] ?? '';
}

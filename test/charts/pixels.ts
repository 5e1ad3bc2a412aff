// Reads a PNG back into pixels, to check that a chart is an image of the expected size with something drawn on it.
import { createCanvas, loadImage } from '@napi-rs/canvas';

export interface PixelSummary {
  width: number;
  height: number;
  /** Share of pixels that differ from the top-left (background) pixel. */
  drawnShare: number;
  /** Distinct colours, quantised to 4 bits a channel. */
  colours: number;
  /** Whether some pixel is close to this colour (#rrggbb), within `tolerance` a channel. */
  has(hex: string, tolerance?: number): boolean;
}

export async function readPixels(png: Uint8Array): Promise<PixelSummary> {
  const image = await loadImage(Buffer.from(png));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  const [r0, g0, b0] = [data[0] ?? 0, data[1] ?? 0, data[2] ?? 0];
  let drawn = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? 0;
    const b = data[i + 2] ?? 0;
    if (r !== r0 || g !== g0 || b !== b0) drawn++;
    colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
  }
  return {
    width: image.width,
    height: image.height,
    drawnShare: drawn / (data.length / 4),
    colours: colours.size,
    has(hex, tolerance = 24) {
      const want = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
      for (let i = 0; i < data.length; i += 4) {
        if (want.every((w, c) => Math.abs((data[i + c] ?? 0) - (w ?? 0)) <= tolerance)) return true;
      }
      return false;
    },
  };
}

/** The PNG signature: every PNG file starts with it. */
export function isPng(bytes: Uint8Array): boolean {
  return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b);
}

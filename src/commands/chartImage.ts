// Attaches a chart to a reply when the process has a renderer. A chart is an extra: if drawing fails, the reply
// goes out without it rather than not at all.
import type { ReplyImage } from './reply.js';

/** `{ image }` to spread into a reply's parts, or nothing when there is no renderer or it failed. */
export function chartImage(draw: (() => ReplyImage) | undefined): { image?: ReplyImage } {
  if (draw === undefined) return {};
  try {
    return { image: draw() };
  } catch {
    return {};
  }
}

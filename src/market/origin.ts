// Points a ccxt exchange at another origin (the mock exchange in tests and replays) by rewriting every URL in
// `exchange.urls.api`. Some of ccxt's URLs hold `{hostname}` placeholders, so the origin is matched with a
// pattern rather than parsed with `new URL`.

const ORIGIN_PATTERN = /^(https?|wss?):\/\/[^/]+/;

/**
 * Rewrites one URL onto `origin` (an `http://host:port[/prefix]` string): http(s) URLs get the origin as it
 * is, ws(s) URLs get it with the `ws` scheme. The URL's own path is kept after the origin's prefix.
 */
export function rewriteOrigin(url: string, origin: string): string {
  const match = ORIGIN_PATTERN.exec(url);
  if (match === null) return url;
  const isSocket = match[1] === 'ws' || match[1] === 'wss';
  const target = isSocket ? origin.replace(/^http/, 'ws') : origin;
  return target.replace(/\/$/, '') + url.slice(match[0].length);
}

/** Rewrites every string in a nested object of URLs, as ccxt keeps them in `urls.api`. */
export function rewriteUrlTree<T>(tree: T, origin: string): T {
  if (typeof tree === 'string') return rewriteOrigin(tree, origin) as T;
  if (Array.isArray(tree)) return tree.map((item: unknown) => rewriteUrlTree(item, origin)) as T;
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) out[key] = rewriteUrlTree(value, origin);
    return out as T;
  }
  return tree;
}

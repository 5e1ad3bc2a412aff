// The liquidation streams of one venue (and Binance's all-market mark-price stream, which shares the socket
// instance). Each watch loop reconnects by itself with exponential backoff and jitter; ccxt resubscribes on the
// new socket. A silence watchdog closes the sockets when a venue that normally streams has sent nothing for
// `silenceMs`, which makes every loop reconnect. Events are read from ccxt's liquidation cache after every wake-up
// (a message arriving while a loop is between two watch calls is only in the cache), normalised from their raw
// `info`, deduplicated by content against a recent-key set (reconnects, OKX backlog replays) and written to the sink.
// All-market feeds subscribe before the venue's first watch list exists: what they push until then waits in a bounded
// start-up buffer and goes through the same filter, validation and deduplication once the list is first built.
import type { Exchange } from 'ccxt';
import { liquidationSchema } from '../domain/market.js';
import type { ExchangeId, Liquidation, StreamState } from '../domain/market.js';
import type { MarketDataSink } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, sleep } from './backoff.js';
import { liquidationKey, rejectionOf } from './normalise.js';
import type { Quote, Rejection, VenueMarket } from './types.js';
import type { LiquidationFeed, MarkPriceFeed } from './venues/adapter.js';

export interface StreamTuning {
  /** No message for this long on a streaming venue: close the sockets and reconnect. */
  silenceMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** How many recent liquidation keys are remembered for deduplication. */
  recentKeys: number;
  /** Liquidations kept while no watch list exists yet; beyond it the oldest are dropped (and counted). */
  startupBufferLimit?: number;
}

const DEFAULT_STARTUP_BUFFER_LIMIT = 5_000;

export interface LiquidationStreamOptions {
  venue: ExchangeId;
  /** A ccxt.pro instance used only for sockets (closing it never disturbs the REST instance). */
  exchange: Exchange;
  feed: LiquidationFeed;
  markPrices: MarkPriceFeed | undefined;
  /** Plain ws:// (the mock) needs ccxt's http agent loaded before the first watch call. */
  plainSockets: boolean;
  /** Markets whose liquidations are kept; per-symbol feeds subscribe to exactly these. */
  watchedSymbols: () => readonly string[];
  marketById: (venueId: string) => VenueMarket | undefined;
  sink: MarketDataSink;
  now: () => number;
  monotonic: () => number;
  random: () => number;
  log: Logger;
  tuning: StreamTuning;
  onRejections: (rejections: readonly Rejection[]) => void;
  onMarkPrices?: (quotes: Map<string, Partial<Quote>>) => void;
}

export class LiquidationStreams {
  private stopped = true;
  private readonly loops = new Map<string, Promise<void>>();
  private readonly retiring = new Set<string>();
  private readonly backingOff = new Set<string>();
  private readonly processed = new WeakSet<object>();
  private readonly recent = new Set<string>();
  private lastMessageMono = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private readonly abort = new AbortController();
  private proxyReady: Promise<unknown> | undefined;
  /** Normalised events waiting for the first watch list; validated and deduplicated when it arrives. */
  private pending: Liquidation[] = [];
  private watchListSeen = false;

  lastLiquidationAt: number | null = null;
  /** Liquidations the sink took as new. */
  saved = 0;
  /** Events dropped as already seen (replays, reconnect overlaps). */
  duplicates = 0;
  /** Times the watchdog closed silent sockets. */
  watchdogResets = 0;
  /** Start-up events dropped because the buffer was full (oldest first) before the first watch list existed. */
  startupDropped = 0;

  /** Events held until the first watch list exists. */
  get pendingAtStartup(): number {
    return this.pending.length;
  }

  constructor(private readonly options: LiquidationStreamOptions) {}

  get state(): StreamState {
    if (this.stopped) return 'stopped';
    return this.backingOff.size > 0 ? 'reconnecting' : 'streaming';
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastMessageMono = this.options.monotonic();
    if (this.options.feed.mode === 'all-market') this.spawn('liquidations', undefined);
    else this.syncSymbols();
    if (this.options.markPrices !== undefined) this.spawnMarkPrices();
    const period = Math.max(50, Math.min(1_000, this.options.tuning.silenceMs / 4));
    this.watchdog = setInterval(() => this.checkSilence(), period);
    this.watchdog.unref();
  }

  /**
   * Called after every change of the watch list. Saves what the start-up buffer held once the first list exists;
   * per-symbol feeds also subscribe to newly watched markets and let dropped ones end.
   */
  syncSymbols(): void {
    if (this.stopped) return;
    this.flushStartupBuffer();
    if (this.options.feed.mode !== 'per-symbol') return;
    const wanted = new Set(this.options.watchedSymbols());
    for (const symbol of wanted) {
      this.retiring.delete(symbol);
      if (!this.loops.has(symbol)) this.spawn(symbol, symbol);
    }
    for (const symbol of this.loops.keys())
      if (!wanted.has(symbol) && symbol !== 'markPrices') this.retiring.add(symbol);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.pending.length > 0) {
      this.options.log.warn('stopped before any watch list existed; start-up liquidations not saved', {
        count: this.pending.length,
      });
      this.pending = [];
    }
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    // Closing rejects every pending watch call, which ends the loops; a loop ccxt never wakes is not waited for.
    await this.options.exchange.close().catch(() => undefined);
    await Promise.race([
      Promise.allSettled([...this.loops.values()]),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    this.loops.clear();
  }

  private spawn(key: string, symbol: string | undefined): void {
    const loop = this.watchLoop(key, async () => {
      await this.options.feed.watch(this.options.exchange, symbol);
      this.drainLiquidations();
    }).finally(() => this.loops.delete(key));
    this.loops.set(key, loop);
  }

  private spawnMarkPrices(): void {
    const feed = this.options.markPrices;
    if (feed === undefined) return;
    const loop = this.watchLoop('markPrices', async () => {
      const result = await feed.watch(this.options.exchange);
      const parsed = feed.parse(result, this.options.marketById);
      if (parsed.rejections.length > 0) this.options.onRejections(parsed.rejections);
      this.options.onMarkPrices?.(parsed.quotes);
    }).finally(() => this.loops.delete('markPrices'));
    this.loops.set('markPrices', loop);
  }

  /** Calls `once` until stopped; each resolution is a message. Failures back off, then the next call resubscribes. */
  private async watchLoop(key: string, once: () => Promise<void>): Promise<void> {
    let attempt = 0;
    while (!this.stopped && !this.retiring.has(key)) {
      try {
        if (this.options.plainSockets) {
          this.proxyReady ??= this.options.exchange.loadHttpProxyAgent();
          await this.proxyReady;
        }
        await once();
        this.lastMessageMono = this.options.monotonic();
        attempt = 0;
      } catch (error) {
        if (this.stopped) break;
        const waitMs = backoffDelay(
          attempt,
          this.options.tuning.reconnectBaseMs,
          this.options.tuning.reconnectMaxMs,
          this.options.random,
        );
        attempt += 1;
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.log.warn('liquidation stream interrupted; reconnecting', {
            stream: key,
            attempt,
            waitMs,
            error,
          });
        }
        this.backingOff.add(key);
        await sleep(waitMs, this.abort.signal);
        this.backingOff.delete(key);
        // After a pause the watchdog starts counting from the reconnection, not from the last message.
        this.lastMessageMono = Math.max(this.lastMessageMono, this.options.monotonic());
      }
    }
    this.retiring.delete(key);
  }

  private checkSilence(): void {
    if (this.stopped || this.backingOff.size > 0) return;
    const silentMs = this.options.monotonic() - this.lastMessageMono;
    if (silentMs <= this.options.tuning.silenceMs) return;
    this.watchdogResets += 1;
    this.lastMessageMono = this.options.monotonic();
    this.options.log.warn('liquidation stream silent; closing sockets to reconnect', { silentMs });
    // Every pending watch call rejects (closed by user); each loop then backs off and subscribes again.
    void this.options.exchange.close().catch(() => undefined);
  }

  /** Reads the events ccxt cached since the last drain (newest at the end), oldest first. */
  private drainLiquidations(): void {
    const cache: unknown = (this.options.exchange as unknown as { liquidations?: unknown }).liquidations;
    if (!Array.isArray(cache)) return;
    const fresh: object[] = [];
    for (let i = cache.length - 1; i >= 0; i--) {
      const item: unknown = cache[i];
      if (item === null || typeof item !== 'object') continue;
      if (this.processed.has(item)) break;
      this.processed.add(item);
      fresh.push(item);
    }
    if (fresh.length === 0) return;
    fresh.reverse();
    const normalised: Liquidation[] = [];
    const rejections: Rejection[] = [];
    for (const item of fresh) {
      const batch = this.options.feed.normalise((item as { info?: unknown }).info, this.options.marketById);
      rejections.push(...batch.rejections);
      normalised.push(...batch.liquidations);
    }
    if (rejections.length > 0) this.options.onRejections(rejections);
    if (this.watchListReady()) {
      this.flushStartupBuffer();
      this.keep(normalised);
      return;
    }
    this.pending.push(...normalised);
    const excess = this.pending.length - (this.options.tuning.startupBufferLimit ?? DEFAULT_STARTUP_BUFFER_LIMIT);
    if (excess <= 0) return;
    // The newest are kept: once saved they join the live flow without a gap.
    this.pending.splice(0, excess);
    if (this.startupDropped === 0) {
      this.options.log.warn('start-up liquidation buffer full; dropping the oldest until a watch list exists', {
        limit: this.pending.length,
      });
    }
    this.startupDropped += excess;
  }

  /** True from the first time the venue has a non-empty watch list; an empty list before that means "not built". */
  private watchListReady(): boolean {
    if (!this.watchListSeen && this.options.watchedSymbols().length > 0) this.watchListSeen = true;
    return this.watchListSeen;
  }

  private flushStartupBuffer(): void {
    if (this.pending.length === 0 || !this.watchListReady()) return;
    const held = this.pending;
    this.pending = [];
    this.options.log.info('saving liquidations received before the first watch list', {
      count: held.length,
      dropped: this.startupDropped,
    });
    this.keep(held);
  }

  /** Keeps watched markets' valid, unseen events (oldest first) and writes them to the sink. */
  private keep(liquidations: readonly Liquidation[]): void {
    const watched = new Set(this.options.watchedSymbols());
    const kept: Liquidation[] = [];
    const rejections: Rejection[] = [];
    for (const liquidation of liquidations) {
      if (!watched.has(liquidation.symbol)) continue;
      const checked = liquidationSchema.safeParse(liquidation);
      if (!checked.success) {
        rejections.push(rejectionOf('liquidation', liquidation.symbol, checked.error));
        continue;
      }
      const key = liquidationKey(checked.data);
      if (this.recent.has(key)) {
        this.duplicates += 1;
        continue;
      }
      this.remember(key);
      kept.push(checked.data);
    }
    if (rejections.length > 0) this.options.onRejections(rejections);
    if (kept.length === 0) return;
    try {
      this.saved += this.options.sink.saveLiquidations(kept);
    } catch (error) {
      this.options.log.error('could not store liquidations', { count: kept.length, error });
    }
    const latest = Math.max(...kept.map((l) => l.at));
    this.lastLiquidationAt = Math.max(this.lastLiquidationAt ?? 0, latest);
  }

  private remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size <= this.options.tuning.recentKeys) return;
    const oldest = this.recent.values().next();
    if (oldest.done !== true) this.recent.delete(oldest.value);
  }
}

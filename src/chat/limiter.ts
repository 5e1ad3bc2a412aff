// Token buckets: a bucket holds up to `capacity` tokens and gains `ratePerSecond` tokens a second; a send takes
// one. `acquire` waits (on the injected clock) until a token is free. Waiters are served in arrival order, and a
// waiter whose signal aborts (a stopping worker) leaves the queue without taking a token.
import type { Clock } from './clock.js';

export interface BucketSpec {
  ratePerSecond: number;
  /** The largest burst; 1 spaces sends evenly. */
  capacity: number;
}

interface Waiter {
  take(): void;
}

function abortError(): Error {
  return Object.assign(new Error('the wait for a send slot was aborted'), { name: 'AbortError' });
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  /** Cuts the pump's sleep short once every waiter has left. */
  private pumpSleep: AbortController | undefined;

  constructor(
    readonly spec: BucketSpec,
    private readonly clock: Clock,
  ) {
    this.tokens = spec.capacity;
    this.updatedAt = clock.now();
  }

  private refill(now: number): void {
    const gained = ((now - this.updatedAt) / 1000) * this.spec.ratePerSecond;
    this.tokens = Math.min(this.spec.capacity, this.tokens + gained);
    this.updatedAt = now;
  }

  /** Takes a token if one is free (returns 0); else takes nothing and returns how long (ms) until one is. */
  tryTake(): number {
    this.refill(this.clock.now());
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.spec.ratePerSecond) * 1000;
  }

  /**
   * Waits until a token is free and takes it. Each waiter takes its token only once it is really there (not
   * a reservation computed in advance), so an event-loop stall cannot release the queue as one burst.
   * Rejects with an AbortError, having taken nothing, when `signal` aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw abortError();
    if (this.waiters.length === 0 && this.tryTake() === 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        if (this.waiters.length === 0) this.pumpSleep?.abort();
        reject(abortError());
      };
      const waiter: Waiter = {
        take: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      void this.pump();
    });
  }

  /** Hands tokens to the waiters in order as they become free; one pump per bucket at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        const waitMs = this.tryTake();
        if (waitMs === 0) {
          this.waiters.shift()?.take();
          continue;
        }
        this.pumpSleep = new AbortController();
        await this.clock.sleep(Math.max(1, waitMs), this.pumpSleep.signal);
      }
    } finally {
      this.pumping = false;
      this.pumpSleep = undefined;
    }
  }

  /** True when the bucket is full again and nobody waits, so a keyed map may drop it. */
  idle(): boolean {
    this.refill(this.clock.now());
    return this.waiters.length === 0 && this.tokens >= this.spec.capacity;
  }
}

/** One bucket per key (a chat), created on first use and dropped once idle. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly spec: BucketSpec,
    private readonly clock: Clock,
  ) {}

  get(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size > 10_000) this.sweep();
      bucket = new TokenBucket(this.spec, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.idle()) this.buckets.delete(key);
  }
}

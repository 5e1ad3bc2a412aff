// Token buckets: a bucket holds up to `capacity` tokens and gains `ratePerSecond` tokens a second; a send takes
// one. `acquire` waits (on the injected clock) until a token is free. Waiters are served in arrival order.
import type { Clock } from './clock.js';

export interface BucketSpec {
  ratePerSecond: number;
  /** The largest burst; 1 spaces sends evenly. */
  capacity: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  /** The tail of the waiters' queue: waiters are served in arrival order. */
  private queue: Promise<void> = Promise.resolve();

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
   */
  async acquire(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (let wait = this.tryTake(); wait > 0; wait = this.tryTake()) await this.clock.sleep(Math.max(1, wait));
    });
    this.queue = turn.catch(() => undefined);
    await turn;
  }

  /** Takes no token for the next `ms` (the platform said "retry after"): later waiters queue behind it. */
  block(ms: number): void {
    this.refill(this.clock.now());
    this.tokens = Math.min(this.tokens, 0) - (ms / 1000) * this.spec.ratePerSecond;
  }

  /** True when the bucket is full again and idle, so a keyed map may drop it. */
  idle(): boolean {
    this.refill(this.clock.now());
    return this.tokens >= this.spec.capacity;
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

// The limiters of the delivery seam, all on the injected clock, serving their waiters in arrival order (a waiter
// whose signal aborts, a stopping worker, leaves the queue having taken nothing):
// - TokenBucket: holds up to `capacity` tokens and gains `ratePerSecond` a second; a send takes one. It paces
//   (a chat's rate, the spacing of a platform's sends) but bounds only grants, on average.
// - CeilingWindow: a platform's hard ceiling, at most N requests in any sliding window as the platform receives
//   them (see the proof on the class).
import type { Clock } from './clock.js';

export interface BucketSpec {
  ratePerSecond: number;
  /** The largest burst; 1 spaces sends evenly. */
  capacity: number;
}

interface Waiter<T> {
  take(value: T): void;
}

function abortError(): Error {
  return Object.assign(new Error('the wait for a send slot was aborted'), { name: 'AbortError' });
}

/** What a gate answers when asked for a slot: the slot, or how long (ms) until asking again is worth it. */
type Attempt<T> = { granted: true; value: T } | { granted: false; waitMs: number };

/**
 * The waiting part shared by the limiters: waiters are served in arrival order, each takes its slot only once
 * it is really free (not a reservation computed in advance, so an event-loop stall cannot release the queue as
 * one burst), and a waiter whose signal aborts (a stopping worker) leaves the queue having taken nothing.
 */
abstract class FifoGate<T> {
  private readonly waiters: Waiter<T>[] = [];
  private pumping = false;
  /** Cuts the pump's sleep short: every waiter has left, or a slot may have come free early. */
  private pumpSleep: AbortController | undefined;

  constructor(protected readonly clock: Clock) {}

  protected abstract attempt(): Attempt<T>;

  /** Something changed that may free a slot before the pump's planned wake-up. */
  protected wake(): void {
    this.pumpSleep?.abort();
  }

  protected waiting(): number {
    return this.waiters.length;
  }

  protected async acquireSlot(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) throw abortError();
    if (this.waiters.length === 0) {
      const first = this.attempt();
      if (first.granted) return first.value;
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        if (this.waiters.length === 0) this.wake();
        reject(abortError());
      };
      const waiter: Waiter<T> = {
        take: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      void this.pump();
    });
  }

  /** Hands slots to the waiters in order as they become free; one pump per gate at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        const next = this.attempt();
        if (next.granted) {
          this.waiters.shift()?.take(next.value);
          continue;
        }
        this.pumpSleep = new AbortController();
        await this.clock.sleep(Math.max(1, next.waitMs), this.pumpSleep.signal);
      }
    } finally {
      this.pumping = false;
      this.pumpSleep = undefined;
    }
  }
}

export class TokenBucket extends FifoGate<void> {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly spec: BucketSpec,
    clock: Clock,
  ) {
    super(clock);
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

  protected attempt(): Attempt<void> {
    const waitMs = this.tryTake();
    return waitMs === 0 ? { granted: true, value: undefined } : { granted: false, waitMs };
  }

  /**
   * Waits until a token is free and takes it. Rejects with an AbortError, having taken nothing, when `signal`
   * aborts first.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.acquireSlot(signal);
  }

  /** True when the bucket is full again and nobody waits, so a keyed map may drop it. */
  idle(): boolean {
    this.refill(this.clock.now());
    return this.waiting() === 0 && this.tokens >= this.spec.capacity;
  }
}

export interface WindowSpec {
  /** At most this many requests may reach the platform in any window of `windowMs`. */
  limit: number;
  /** The window, in ms (1000: "per second"). */
  windowMs: number;
  /**
   * How long (ms) after its grant a request still unanswered is taken to have reached the platform: a request
   * answered or given up later (a hung one) stops holding its slot one window after grant + transitMs. This is
   * the one assumption of the ceiling (see CeilingWindow); keep it well above the time a request takes to leave.
   */
  transitMs: number;
  /**
   * A gap of more than this many real ms in which the process did not run (an event-loop stall, a busy machine)
   * is not counted in the transit of the requests in flight: granted before it, they may not have left yet.
   * Default 50 (the process is looked at every 20 ms while requests are in flight).
   */
  stallRealMs?: number;
}

/** A slot of a CeilingWindow, taken for one request. */
export interface WindowPermit {
  /** The request's answer came, or it was given up: the slot is held for one more window, then freed. */
  settle(): void;
  /** No request was made with this slot (withdrawn before the wire): it is free again at once. */
  release(): void;
}

interface WindowSlot {
  /** The grant, or the end of a stall of the process after it: when its transit (transitMs) began. */
  transitFrom: number;
  /** When the slot is free again; undefined while its request is unanswered. */
  freeAt: number | undefined;
}

/**
 * The hard ceiling: at most `limit` requests in ANY window of `windowMs` as the platform receives them, whatever
 * the delays between our grant and the wire (queues in the HTTP library, a busy event loop) and on the wire.
 *
 * A token bucket bounds grants, not arrivals: it lets capacity + rate x 1 s through in a second, and requests
 * granted in one second can arrive bunched in the next. Here each request holds a slot from its grant g until
 * one window after it settles (its answer came: s), or after g + transitMs if that is earlier. Why this holds at
 * the platform: let k requests arrive within one window [t, t + W), and j be the one granted last. Every other
 * one, i, was granted before g_j and arrived at r_i >= t, after its grant and before its answer (and, assumed,
 * by g_i + transitMs), so its slot is free only after r_i + W >= t + W > r_j >= g_j: it was held when j was
 * granted. So k - 1 slots were held at g_j, fewer than `limit`, and k <= limit.
 *
 * The assumption (arrived within transitMs) only frees the slots of unanswered (hung) requests early, so that
 * they do not hold them until their timeout. A process that stalls cannot write its requests, so the time of a
 * stall (a gap over stallRealMs) does not count toward the transit of the requests in flight.
 */
export class CeilingWindow extends FifoGate<WindowPermit> {
  private slots: WindowSlot[] = [];
  /** Real time (performance.now) and clock time the process was last seen running. */
  private lastSeenRunning = 0;
  private lastSeenAt = 0;
  /** Ticks while requests are in flight, so that a stall shows as a gap between two sightings. */
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: WindowSpec,
    clock: Clock,
  ) {
    super(clock);
  }

  /** When a slot is free again: a settled one at freeAt, an unanswered one one window after its transit bound. */
  private freeAt(slot: WindowSlot): number {
    return slot.freeAt ?? slot.transitFrom + this.spec.transitMs + this.spec.windowMs;
  }

  /**
   * Called before every decision: a stall (no sighting for stallRealMs) is added to the transit of the requests
   * in flight, since the transit bound is about the network, not a process that could not write them.
   */
  private observe(): void {
    const real = performance.now();
    const now = this.clock.now();
    if (real - this.lastSeenRunning > (this.spec.stallRealMs ?? 50)) {
      const stalled = Math.max(0, now - this.lastSeenAt);
      for (const slot of this.slots) {
        if (slot.freeAt === undefined) slot.transitFrom = Math.min(now, slot.transitFrom + stalled);
      }
    }
    this.lastSeenRunning = real;
    this.lastSeenAt = now;
    const inFlight = this.slots.some((slot) => slot.freeAt === undefined);
    if (inFlight && !this.ticker) {
      this.ticker = setInterval(() => this.observe(), 20);
      this.ticker.unref();
    } else if (!inFlight && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /** Slots held now (dropping those already free). */
  held(): number {
    this.observe();
    const now = this.clock.now();
    this.slots = this.slots.filter((slot) => this.freeAt(slot) > now);
    return this.slots.length;
  }

  protected attempt(): Attempt<WindowPermit> {
    if (this.held() < this.spec.limit) return { granted: true, value: this.permit() };
    const now = this.clock.now();
    const soonest = Math.min(...this.slots.map((slot) => this.freeAt(slot)));
    return { granted: false, waitMs: soonest - now };
  }

  private permit(): WindowPermit {
    const slot: WindowSlot = { transitFrom: this.clock.now(), freeAt: undefined };
    this.slots.push(slot);
    this.observe();
    return {
      settle: () => {
        if (slot.freeAt !== undefined) return;
        this.observe();
        slot.freeAt = Math.min(this.clock.now(), slot.transitFrom + this.spec.transitMs) + this.spec.windowMs;
        // The slot now frees earlier than the pump planned (transitFrom + transitMs + windowMs).
        this.wake();
      },
      release: () => {
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        this.observe();
        this.wake();
      },
    };
  }

  /**
   * Waits until fewer than `limit` slots are held and takes one for a request; settle or release it. Rejects
   * with an AbortError, having taken nothing, when `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<WindowPermit> {
    return this.acquireSlot(signal);
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

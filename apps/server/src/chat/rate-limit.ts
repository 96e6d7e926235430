/**
 * A token bucket: `burst` sends at once, refilled at `perSec` a second.
 * Kept per user, so extra tabs or reconnects do not buy extra sends.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until a token is there again (0 if one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSec) * 1000);
  }

  /** Gives back a token taken for a send that turned out not to count (a resend). */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** A full bucket carries no state worth keeping. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSec) / 1000);
  }
}

/** Buckets by key, swept of full (idle) buckets so memory follows activity. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSec: number,
    private readonly burst: number,
  ) {}

  /** Takes one token from `key`'s bucket if there is one. */
  take(key: string, now: number): boolean {
    return this.bucket(key, now).take(now);
  }

  /** How long until `key`'s bucket has a token again. */
  waitMs(key: string, now: number): number {
    return this.bucket(key, now).waitMs(now);
  }

  bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perSec, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

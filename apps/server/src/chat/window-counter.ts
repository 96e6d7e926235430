/**
 * Counts events within a sliding window. Used for the abuse rules: more than
 * 20 `bad_request` or 100 `rate_limited` within a minute closes with 1008.
 * Memory is bounded by the threshold: older events are dropped as they age.
 */
export class WindowCounter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records an event at `now`; returns how many fall within the window. */
  hit(now: number): number {
    this.times.push(now);
    while (this.times.length > 0 && (this.times[0] as number) <= now - this.windowMs) this.times.shift();
    return this.times.length;
  }
}

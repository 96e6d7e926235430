/**
 * Latency samples and their percentiles. Keeps at most `capacity` values; past
 * that it keeps a uniform random sample (reservoir), so a long run cannot
 * grow the generator's memory without bound.
 */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Samples {
  private readonly values: number[] = [];
  private seen = 0;
  private sum = 0;
  private maxValue = 0;

  constructor(private readonly capacity = 1_000_000) {}

  add(value: number): void {
    this.seen++;
    this.sum += value;
    if (value > this.maxValue) this.maxValue = value;
    if (this.values.length < this.capacity) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(Math.random() * this.seen);
    if (slot < this.capacity) this.values[slot] = value;
  }

  get count(): number {
    return this.seen;
  }

  summary(): Percentiles {
    const sorted = Float64Array.from(this.values).sort();
    const at = (q: number): number =>
      sorted.length === 0
        ? 0
        : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return {
      count: this.seen,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: this.maxValue,
      mean: this.seen === 0 ? 0 : this.sum / this.seen,
    };
  }
}

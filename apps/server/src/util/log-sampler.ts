/**
 * Keeps logs bounded under abuse: for each key (a client address, a kind of
 * failure) the first few events of a window are logged; after that only the
 * 10th, 100th, 1,000th … of the window, each saying how many were left out
 * since the last one logged. So a flood of N events logs O(log N) lines, and
 * still says how big it was. The keys are forgotten at the end of each
 * window, so a flood of sources cannot grow it without bound either.
 */
export interface Sampled {
  /** Log this one. */
  log: boolean;
  /** Events of this key left out since the last one logged. */
  suppressed: number;
}

interface Window {
  /** Events of this key in this window. */
  seen: number;
  /** Left out since the last one logged. */
  suppressed: number;
}

/** 10, 100, 1000, …: where a flood is logged again. */
function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

/** Keys tracked at once; beyond it, new keys share one bucket until the window ends. */
const MAX_KEYS = 10_000;
const OVERFLOW = '\u0000overflow';

export class LogSampler {
  private windows = new Map<string, Window>();
  private windowStart: number;

  constructor(
    private readonly perWindow = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.windowStart = now();
  }

  take(key: string): Sampled {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windows = new Map();
      this.windowStart = now;
    }
    const slot = this.windows.has(key) || this.windows.size < MAX_KEYS ? key : OVERFLOW;
    let window = this.windows.get(slot);
    if (!window) this.windows.set(slot, (window = { seen: 0, suppressed: 0 }));
    window.seen++;
    if (window.seen > this.perWindow && !isPowerOfTen(window.seen)) {
      window.suppressed++;
      return { log: false, suppressed: window.suppressed };
    }
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { log: true, suppressed };
  }
}

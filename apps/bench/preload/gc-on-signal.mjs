/**
 * Loaded into every benchmarked server process (`node --expose-gc --import
 * <this file>`), Tether and competitors alike: on SIGUSR2 it runs two full
 * garbage collections, so "RSS per idle connection (after GC)" measures what
 * the connections keep alive rather than how much garbage joining left.
 */
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
});

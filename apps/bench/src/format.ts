/** How the report and the goals write numbers. */
import type { Percentiles } from './metrics/samples.js';
import { SATURATED_PERCENT, type CpuPair } from './results.js';

export const int = (n: number): string => Math.round(n).toLocaleString('en');
/** Three significant digits or so: 150, 77.1, 8.78. */
export const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
export const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
export const pct = (n: number): string => `${n.toFixed(0)} %`;

/** A generator's CPU, marked ⚠ where it saturated its core. */
export const generatorCpu = (percent: number): string =>
  `${pct(percent)}${percent >= SATURATED_PERCENT ? ' ⚠' : ''}`;
/** "server / generator" CPU of a phase. */
export const cpu = (c: CpuPair): string => `${pct(c.server)} / ${generatorCpu(c.generator)}`;
export const p5099 = (p: Percentiles): string => (p.count === 0 ? 'n/a' : `${ms(p.p50)} / ${ms(p.p99)}`);

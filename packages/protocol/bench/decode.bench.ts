/**
 * Cost of decoding one client frame: text in, validated message (or error) out.
 *
 *   pnpm --filter @tether/protocol bench
 *
 * Each timed call decodes BATCH frames, so the timer's own cost (tens of ns)
 * does not swamp results of a few ns; figures are per frame. The table is
 * printed and written to bench/RESULTS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';

import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { format, resolveConfig } from 'prettier';
import { Bench, type Task } from 'tinybench';

import { parseClientMessage } from '../src/parse.js';
import { CLIENT_SCHEMAS } from '../src/schemas.js';
import { type BenchFrame, FRAMES } from './frames.js';
import { checkWithValibot, decodeWithValibot } from './valibot-schemas.js';
import { checkWithZod, decodeWithZod } from './zod-schemas.js';

const BATCH = 1000;
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 500);
/**
 * Every task runs in this many rounds and the round with the lowest median is
 * kept: on a shared machine interference only ever adds time, so the fastest
 * round is the closest to the code's own cost.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Given a frame, the zero-argument call that is timed; it returns the decoder's verdict. */
type Verdict = (frame: BenchFrame) => () => boolean;

/** Times `decode` on the frame's text. */
function onText(decode: (raw: string) => boolean): Verdict {
  return ({ raw }) => {
    return () => decode(raw);
  };
}

/** Times `check` on the frame already parsed, outside the timed call. */
function onValue(check: (frame: unknown) => boolean): Verdict {
  return ({ raw }) => {
    const frame: unknown = JSON.parse(raw);
    return () => check(frame);
  };
}

/** Decoders that take the text frame, JSON.parse included. */
const FULL: Record<string, Verdict> = {
  'TypeBox: parseClientMessage': onText((raw) => parseClientMessage(raw).ok),
  'JSON.parse alone': onText((raw) => parses(raw)),
  'Zod 4: JSON.parse + discriminatedUnion': onText((raw) => decodeWithZod(raw).ok),
  'Valibot 1: JSON.parse + variant': onText((raw) => decodeWithValibot(raw).ok),
};

// The same dispatch parse.ts does: one compiled check per type, first error on failure.
const compiled = new Map<string, ReturnType<typeof TypeCompiler.Compile<TSchema>>>(
  Object.entries(CLIENT_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
);
function typeboxCheck(frame: unknown, describe: boolean): boolean {
  const type = (frame as { type?: unknown }).type;
  const check = typeof type === 'string' ? compiled.get(type) : undefined;
  if (!check) return false;
  if (check.Check(frame)) return true;
  // TypeBox compiles Check only; Errors() walks the schema interpretively.
  if (describe) check.Errors(frame).First();
  return false;
}

/** Schema checks alone, on a frame JSON.parse has already turned into a value. */
const CHECK_ONLY: Record<string, Verdict> = {
  'TypeBox compiled check + first error': onValue((frame) => typeboxCheck(frame, true)),
  'TypeBox compiled check, verdict only': onValue((frame) => typeboxCheck(frame, false)),
  'Zod 4 safeParse': onValue((frame) => checkWithZod(frame).ok),
  'Valibot 1 safeParse': onValue((frame) => checkWithValibot(frame).ok),
};

function parses(raw: string): boolean {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

interface Row {
  decoder: string;
  frame: string;
  nsPerFrame: number;
  /** Median batch, per frame: less moved by a GC pause or a busy neighbour than the mean. */
  medianNs: number;
  opsPerSec: number;
  rme: number;
}

let sink = 0;

async function measure(decoders: Record<string, Verdict>, frames: readonly BenchFrame[]): Promise<Row[]> {
  const bench = new Bench({ time: TIME_MS, warmupTime: 150 });
  const labels = new Map<string, { decoder: string; frame: string }>();
  for (const [decoder, make] of Object.entries(decoders)) {
    for (const frame of frames) {
      const decode = make(frame);
      // Every decoder must reach the expected verdict, or the comparison is void.
      // "JSON.parse alone" only says whether the text is JSON.
      const expected = decoder === 'JSON.parse alone' ? parses(frame.raw) : frame.valid;
      if (decode() !== expected) throw new Error(`${decoder} gives the wrong verdict on ${frame.name}`);
      const name = `${decoder} | ${frame.name}`;
      labels.set(name, { decoder, frame: frame.name });
      bench.add(name, () => {
        let ok = 0;
        for (let i = 0; i < BATCH; i++) if (decode()) ok++;
        sink += ok;
      });
    }
  }
  await bench.run();
  return bench.tasks.map((task: Task) => {
    const result = task.result;
    const label = labels.get(task.name);
    if (!result || !label || result.error)
      throw new Error(`${task.name} did not run: ${String(result?.error)}`);
    const nsPerFrame = (result.latency.mean * 1e6) / BATCH;
    const medianNs = ((result.latency.p50 ?? result.latency.mean) * 1e6) / BATCH;
    return { ...label, nsPerFrame, medianNs, opsPerSec: 1e9 / nsPerFrame, rme: result.latency.rme };
  });
}

const ns = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} µs` : `${n.toFixed(n < 100 ? 1 : 0)} ns`);
const ops = (n: number) => Math.round(n).toLocaleString('en-US');

function longTable(rows: Row[]): string {
  const lines = [
    '| decoder | frame | ns per frame (mean) | ops/s | ± | median |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const cells = [ns(r.nsPerFrame), ops(r.opsPerSec), `${r.rme.toFixed(1)} %`, ns(r.medianNs)];
    lines.push(`| ${r.decoder} | ${r.frame} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function matrix(rows: Row[], frames: readonly BenchFrame[]): string {
  const decoders = [...new Set(rows.map((r) => r.decoder))];
  const lines = [
    `| median ns per frame | ${frames.map((f) => f.name).join(' | ')} |`,
    `| --- |${' ---: |'.repeat(frames.length)}`,
  ];
  for (const decoder of decoders) {
    const cells = frames.map((f) => {
      const row = rows.find((r) => r.decoder === decoder && r.frame === f.name);
      return row ? ns(row.medianNs) : '–';
    });
    lines.push(`| ${decoder} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function version(pkg: string): string {
  const path = fileURLToPath(new URL(`../node_modules/${pkg}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

async function bestOf(decoders: Record<string, Verdict>, frames: readonly BenchFrame[]): Promise<Row[]> {
  let best: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rows = await measure(decoders, frames);
    best =
      best.length === 0
        ? rows
        : rows.map((row, i) => (best[i] && best[i].medianNs < row.medianNs ? best[i] : row));
  }
  return best;
}

const parsedFrames = FRAMES.filter((f) => parses(f.raw));
const full = await bestOf(FULL, FRAMES);
const checkOnly = await bestOf(CHECK_ONLY, parsedFrames);

const cpu = cpus();
const report = `# Decode benchmark

Cost of turning one client text frame into a validated message or an error.
Generated by \`pnpm --filter @tether/protocol bench\` (bench/decode.bench.ts);
do not edit by hand. Each timed call decodes ${BATCH} frames; figures are per
frame. Every task ran in ${ROUNDS} rounds of ${TIME_MS} ms and the round with the
lowest median was kept (on a shared machine interference only adds time). The
two summary tables give that median batch; the last table adds the same
round's mean (allocation and GC included), its ops/s and the mean's relative
margin of error. Compare rows within one run rather than across runs.

- date: ${new Date().toISOString()}
- node: ${process.version} (${platform()} ${release()})
- cpu: ${cpu[0]?.model.trim() ?? 'unknown'} × ${cpu.length}
- @sinclair/typebox ${version('@sinclair/typebox')}, zod ${version('zod')}, valibot ${version('valibot')}, tinybench ${version('tinybench')}

The Zod and Valibot schemas (bench/zod-schemas.ts, bench/valibot-schemas.ts)
mirror src/schemas.ts for all 8 client messages; test/bench-schemas.test.ts
checks they accept and refuse the same frames. Every decoder is checked to give
the expected verdict on every frame before it is timed.

## Full decode: text frame in, result out (JSON.parse included)

${matrix(full, FRAMES)}

## Schema check alone (frame already parsed)

${matrix(checkOnly, parsedFrames)}

## All measurements

${longTable([...full, ...checkOnly])}
`;

// Formatted as the repository's Prettier config wants it, so format:check stays green.
const resultsPath = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const formatted = await format(report, { ...(await resolveConfig(resultsPath)), filepath: resultsPath });
console.log(formatted);
writeFileSync(resultsPath, formatted);
if (sink < 0) console.log(sink);

#!/usr/bin/env node
// A throwaway PostgreSQL cluster for tests, benchmarks and `pnpm cluster`.
//
// CLI:
//   node scripts/postgres-cluster.mjs                 start, print DATABASE_URL, run until SIGINT/SIGTERM, then stop + remove
//   node scripts/postgres-cluster.mjs -- <cmd> [args] start, run <cmd> with DATABASE_URL/PG* set, stop + remove, exit with its code
//   options: --no-template   always run initdb (default: copy a cached initdb template, much faster)
//            --keep          do not delete the data dir on exit (prints where it is)
//            --json          print one JSON line {url,port,socketDir,dataDir,pid,startupMs} instead of the URL
//            --quiet         no timing line on stderr
//
// Library:
//   import { startCluster } from './postgres-cluster.mjs'
//   const pg = await startCluster()       // { url, port, host, socketDir, dataDir, baseDir, pid, startupMs, timings }
//   ...; await pg.stop()                  // immediate shutdown + rm -rf (idempotent)
//   pg.crash()                            // SIGKILL the postmaster (for failure tests)
//   await pg.restart()                    // start postgres again on the same data dir and port
//
// Environment: PG_BIN (dir with initdb/postgres), PG_CLUSTER_USER (user to run as when root; default "postgres"),
//   PG_CLUSTER_TMP (parent dir for temp dirs; default os.tmpdir()), PG_CLUSTER_TIMEOUT_MS (readiness wait, default 15000).
//
// Durability settings are the production ones (fsync=on, synchronous_commit=on, full_page_writes=on);
// only initdb runs with --no-sync (its files are throwaway anyway).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function findBinDir() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const ok = (d) => d && fs.existsSync(path.join(d, 'postgres')) && fs.existsSync(path.join(d, 'initdb'));
  // Debian/Ubuntu: binaries are NOT on PATH, they live in /usr/lib/postgresql/<ver>/bin
  try {
    const vers = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => b - a);
    for (const v of vers) if (ok(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch {
    // Not Debian's layout: look further.
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && ok(r.stdout.trim())) return r.stdout.trim();
  for (const p of (process.env.PATH || '').split(':')) if (ok(p)) return p;
  throw new Error('pg-cluster: cannot find initdb/postgres; set PG_BIN');
}

// When running as root, postgres refuses to start ("root" execution of the PostgreSQL server is not permitted),
// so initdb/postgres run as an unprivileged user via spawn({uid,gid}) (no runuser/su: the postmaster stays our
// direct child, so signals and pid are exact).
function runAs() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const name = process.env.PG_CLUSTER_USER || 'postgres';
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  if (!line)
    throw new Error(`pg-cluster: running as root but user "${name}" does not exist (set PG_CLUSTER_USER)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), name };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} exited ${code}:\n${out}`)),
    );
  });
}

const INITDB_ARGS = ['--auth=trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C'];

async function initdb(bin, dataDir, u, cwd) {
  // cwd must be readable by the postgres user, else: "could not change directory to /root: Permission denied"
  // explicit --locale: initdb fails on machines whose LANG names a locale that is not generated
  await run(path.join(bin, 'initdb'), ['-D', dataDir, ...INITDB_ARGS], {
    cwd,
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    ...(u ? { uid: u.uid, gid: u.gid } : {}),
  });
}

// initdb costs ~1 s; a cached pristine data dir copied with `cp -a` costs a few tens of ms.
async function templateDir(bin, u, tmpRoot) {
  const ver = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  const key = crypto
    .createHash('sha1')
    .update(ver + bin + INITDB_ARGS.join(' ') + (u ? u.uid : process.getuid?.()))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(tmpRoot, `pg-cluster-template-${key}`);
  if (fs.existsSync(path.join(dir, 'data', 'PG_VERSION'))) return dir;
  const tmp = await fsp.mkdtemp(path.join(tmpRoot, 'pg-cluster-template-tmp-'));
  await fsp.chmod(tmp, 0o755);
  if (u) await fsp.chown(tmp, u.uid, u.gid);
  await initdb(bin, path.join(tmp, 'data'), u, tmp);
  try {
    await fsp.rename(tmp, dir); // atomic publish; concurrent creators: the loser just discards its copy
  } catch {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

function readPidFile(dataDir) {
  try {
    return fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
}

export async function startCluster(opts = {}) {
  const t0 = performance.now();
  const timings = {};
  const mark = (k) => (timings[k] = Math.round((performance.now() - t0) * 10) / 10);
  const bin = opts.binDir || findBinDir();
  const u = runAs();
  const tmpRoot = opts.tmpRoot || process.env.PG_CLUSTER_TMP || os.tmpdir();
  const timeoutMs = opts.timeoutMs || Number(process.env.PG_CLUSTER_TIMEOUT_MS) || 15000;
  const useTemplate = opts.template !== false;

  // A given baseDir keeps its data between runs (`pnpm cluster`); else a
  // fresh temporary one. mkdtemp creates the dir 0700 and owned by us: the
  // postgres user could not even enter it.
  const persistent = opts.baseDir !== undefined;
  const baseDir = persistent ? path.resolve(opts.baseDir) : await fsp.mkdtemp(path.join(tmpRoot, 'pgc-'));
  if (persistent) await fsp.mkdir(baseDir, { recursive: true });
  await fsp.chmod(baseDir, 0o755); // 0755 so any local user can reach the socket dir; data/ itself stays 0700
  if (u) await fsp.chown(baseDir, u.uid, u.gid);
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'sock'); // unix socket path must stay < 108 bytes: keep tmpRoot short
  await fsp.mkdir(socketDir, { recursive: true, mode: 0o755 });
  if (u) await fsp.chown(socketDir, u.uid, u.gid);
  mark('mkdirs');

  if (persistent && fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // The data of an earlier run: start on it.
  } else if (useTemplate) {
    const tpl = await templateDir(bin, u, tmpRoot);
    mark('template');
    await run('cp', ['-a', path.join(tpl, 'data'), dataDir], {}); // -a keeps owner (postgres) and mode 0700
  } else {
    await initdb(bin, dataDir, u, baseDir);
  }
  mark('initdb');

  const logFile = path.join(baseDir, 'postgres.log');
  let child = null;
  let port = opts.port || 0;
  let stopped = false;
  let watchdog = null;

  const settings = {
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    shared_buffers: opts.sharedBuffers || '128MB',
    max_connections: String(opts.maxConnections || 200),
    max_wal_size: '1GB',
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...(opts.settings || {}),
  };

  async function launch(fixedPort) {
    for (let attempt = 0; ; attempt++) {
      port = fixedPort || (await freePort()); // race: someone may grab it before postgres binds -> retry
      const logFd = fs.openSync(logFile, 'a'); // a file, not a pipe: a full, unread pipe would block postgres
      if (u) fs.fchownSync(logFd, u.uid, u.gid);
      const args = ['-D', dataDir, '-k', socketDir, '-h', '127.0.0.1', '-p', String(port)];
      for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
      child = spawn(path.join(bin, 'postgres'), args, {
        cwd: baseDir,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        ...(u ? { uid: u.uid, gid: u.gid } : {}),
      });
      fs.closeSync(logFd);
      let exited = null;
      child.once('exit', (code, sig) => (exited = { code, sig }));
      // Ready when postmaster.pid line 8 says "ready" (what pg_ctl -w polls); poll every 5 ms, bounded.
      const deadline = performance.now() + timeoutMs;
      let ready = false;
      while (performance.now() < deadline) {
        if (exited) break;
        const lines = readPidFile(dataDir);
        if (lines && lines[0] === String(child.pid) && lines[7] && lines[7].trim() === 'ready') {
          ready = true;
          break;
        }
        await sleep(5);
      }
      if (ready) return;
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
      if (!exited) {
        child.kill('SIGKILL');
        throw new Error(`pg-cluster: postgres not ready after ${timeoutMs} ms\n${log}`);
      }
      if (
        !fixedPort &&
        attempt < 4 &&
        /could not bind|Address already in use|could not create any TCP/.test(log)
      )
        continue;
      // after a crash, orphaned backends may still hold the old shared memory for a moment
      if (
        fixedPort &&
        attempt < 200 &&
        /pre-existing shared memory block|lock file .* already exists|could not bind/.test(log)
      ) {
        await sleep(50);
        continue;
      }
      throw new Error(`pg-cluster: postgres exited (${JSON.stringify(exited)})\n${log}`);
    }
  }

  // If our process dies without cleanup (SIGKILL, crash), a detached sh notices its stdin close and
  // shuts postgres down + removes the dir.
  function armWatchdog() {
    if (opts.watchdog === false) return;
    watchdog = spawn(
      'sh',
      [
        '-c',
        'cat >/dev/null; kill -QUIT "$1" 2>/dev/null; i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL "$1" 2>/dev/null; [ "$3" = 1 ] || rm -rf "$2"',
        'sh',
        String(child.pid),
        baseDir,
        opts.keep || persistent ? '1' : '0',
      ],
      { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    watchdog.unref();
    watchdog.stdin.on('error', () => {});
    watchdog.stdin.unref?.();
    watchdog.stdin._handle?.unref?.();
  }

  try {
    await launch(opts.port);
  } catch (e) {
    if (!opts.keep && !persistent) await fsp.rm(baseDir, { recursive: true, force: true });
    throw e;
  }
  mark('ready');
  armWatchdog();

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const waitExit = async (ms) => {
    const end = performance.now() + ms;
    while (child.exitCode === null && child.signalCode === null && performance.now() < end) await sleep(5);
    return child.exitCode !== null || child.signalCode !== null;
  };

  const cluster = {
    url,
    host: '127.0.0.1',
    get port() {
      return port;
    },
    socketDir,
    dataDir,
    baseDir,
    logFile,
    get pid() {
      return child.pid;
    },
    startupMs: timings.ready,
    timings,
    /** SIGKILL the postmaster only (backends notice and exit on their own). */
    crash() {
      child.kill('SIGKILL');
    },
    /** Start postgres again on the same data dir + port (after crash() or stop({keepData:true})). */
    async restart() {
      const t = performance.now();
      await waitExit(5000);
      await launch(port);
      if (watchdog) watchdog.kill('SIGKILL');
      armWatchdog();
      return Math.round(performance.now() - t);
    },
    /** Immediate shutdown (SIGQUIT: no shutdown checkpoint, data is thrown away), then rm -rf. */
    async stop({ mode = opts.keep || persistent ? 'fast' : 'immediate' } = {}) {
      if (stopped) return;
      stopped = true;
      if (watchdog) watchdog.kill('SIGKILL'); // before killing postgres, so it can't hit a recycled pid
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
        if (!(await waitExit(10000))) {
          child.kill('SIGKILL');
          await waitExit(2000);
        }
      }
      // orphaned backends after crash(): wait until the pid file's postmaster is gone
      if (!opts.keep && !persistent) await fsp.rm(baseDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

// ---------------------------------------------------------------- CLI
const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const argv = process.argv.slice(2);
  const dd = argv.indexOf('--');
  const flags = dd >= 0 ? argv.slice(0, dd) : argv;
  const cmd = dd >= 0 ? argv.slice(dd + 1) : [];
  // handlers first: a signal that lands during startup must still clean up once the cluster is up
  let c = null;
  let pending = null;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => (c ? finish(130) : (pending = 130)));
  c = await startCluster({ template: !flags.includes('--no-template'), keep: flags.includes('--keep') });
  if (!flags.includes('--quiet'))
    process.stderr.write(
      `pg-cluster: ready in ${c.startupMs} ms ${JSON.stringify(c.timings)} data=${c.dataDir}\n`,
    );
  if (flags.includes('--json'))
    console.log(
      JSON.stringify({
        url: c.url,
        port: c.port,
        socketDir: c.socketDir,
        dataDir: c.dataDir,
        pid: c.pid,
        startupMs: c.startupMs,
      }),
    );
  else if (!cmd.length) console.log(c.url);
  let exiting = false;
  async function finish(code) {
    if (exiting) return;
    exiting = true;
    const t = performance.now();
    await c.stop();
    if (!flags.includes('--quiet'))
      process.stderr.write(`pg-cluster: stopped+removed in ${Math.round(performance.now() - t)} ms\n`);
    process.exit(code);
  }
  if (pending !== null) await finish(pending);
  if (cmd.length) {
    const env = {
      ...process.env,
      DATABASE_URL: c.url,
      PGHOST: '127.0.0.1',
      PGPORT: String(c.port),
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
    };
    const p = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
    p.on('exit', (code, sig) => finish(code ?? (sig ? 128 : 1)));
    p.on('error', (e) => (console.error(e.message), finish(127)));
  } else {
    setInterval(() => {}, 1 << 30); // stay alive until a signal
  }
}

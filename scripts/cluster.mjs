// `pnpm cluster`: Tether as several processes on one machine, as it runs in
// production: PostgreSQL (data kept in data/cluster-postgres between runs)
// holds the chat, a redis-server carries events and presence, three server
// nodes on ports 3001–3003 share them, and a round-robin proxy (http-proxy)
// on 3000 is in front of them, WebSockets included, with no sticky sessions.
// Kill a node (its PID is printed) and watch its clients carry on through
// the others.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import httpProxy from 'http-proxy';

import { SERVER_ENTRY, buildIfStale, root } from './build-if-stale.mjs';
import { startCluster } from './postgres-cluster.mjs';

const PROXY_PORT = Number(process.env.PORT ?? 3000);
const NODE_PORTS = [3001, 3002, 3003];
const REDIS_PORT = Number(process.env.CLUSTER_REDIS_PORT ?? 6380);
const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;
const POSTGRES_PORT = Number(process.env.CLUSTER_POSTGRES_PORT ?? 5433);
let postgres;

const children = new Set();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  // PostgreSQL last, once the nodes have committed what they hold.
  const stopPostgres = () => (postgres ? postgres.stop({ mode: 'fast' }) : Promise.resolve());
  setTimeout(() => void stopPostgres().finally(() => process.exit(code)), 3000).unref();
  if (children.size === 0) void stopPostgres().finally(() => process.exit(code));
}

/** Starts a child whose output lines are prefixed with `label`. */
function run(label, command, args, env = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) console.log(`[${label}] ${line}`);
    });
  }
  child.on('error', (error) => {
    console.error(`cluster: could not start ${label}: ${error.message}`);
    stopAll(1);
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) console.log(`cluster: ${label} exited (${signal ?? `code ${code}`}); the others carry on`);
    if (stopping && children.size === 0)
      void (postgres?.stop({ mode: 'fast' }) ?? Promise.resolve()).finally(() => process.exit(0));
  });
  return child;
}

function hasPostgres() {
  return new Promise((resolve) => {
    startCluster({ baseDir: join(root, 'data', 'cluster-postgres'), port: POSTGRES_PORT }).then(
      (cluster) => {
        postgres = cluster;
        resolve(true);
      },
      (error) => {
        console.error(`cluster: could not start PostgreSQL: ${error.message.split('\n')[0]}`);
        resolve(false);
      },
    );
  });
}

function hasRedis() {
  return new Promise((resolve) => {
    const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    probe.on('error', () => resolve(false));
    probe.on('exit', (code) => resolve(code === 0));
  });
}

if (!(await hasRedis())) {
  console.error(
    'cluster: redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) and run `pnpm cluster` again.',
  );
  process.exit(1);
}

await buildIfStale('cluster');

if (!(await hasPostgres())) {
  console.error(
    'cluster: PostgreSQL is needed. Install it (Debian/Ubuntu: `sudo apt-get install postgresql`, macOS: `brew install postgresql`) and run `pnpm cluster` again.',
  );
  process.exit(1);
}
console.log(`cluster: PostgreSQL on port ${postgres.port} (data in data/cluster-postgres/data)`);

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

// Redis holds no chat data (PostgreSQL does): no persistence at all.
const redisDir = join(root, 'data', 'cluster-redis');
mkdirSync(redisDir, { recursive: true });
run('redis', 'redis-server', [
  '--port',
  String(REDIS_PORT),
  '--bind',
  '127.0.0.1',
  '--dir',
  redisDir,
  '--appendonly',
  'no',
  '--save',
  '',
]);
await new Promise((resolve) => setTimeout(resolve, 500));

for (const [i, port] of NODE_PORTS.entries()) {
  const child = run(`node${i + 1}:${port}`, process.execPath, [SERVER_ENTRY], {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: postgres.url,
    REDIS_URL,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  });
  console.log(`cluster: node${i + 1} on port ${port}, pid ${child.pid}`);
}

// Round robin over the nodes. A node that refuses a connection is skipped
// for a few seconds, so a killed node costs only its own clients a reconnect
// (which lands on another node), not every third request.
const proxy = httpProxy.createProxyServer({ xfwd: true });
const downUntil = new Map();
let next = 0;
function pickPort() {
  for (let tries = 0; tries < NODE_PORTS.length; tries++) {
    const port = NODE_PORTS[next++ % NODE_PORTS.length];
    if ((downUntil.get(port) ?? 0) < Date.now()) return port;
  }
  return NODE_PORTS[next++ % NODE_PORTS.length];
}
function failed(port, error, res) {
  downUntil.set(port, Date.now() + 5000);
  console.log(
    `cluster: node on port ${port} did not answer (${error.code ?? error.message}); skipping it for 5 s`,
  );
  // `res` is a ServerResponse for HTTP and a socket for upgrades.
  if ('writeHead' in res && !res.headersSent) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end('that node is down; try again\n');
  } else {
    res.destroy();
  }
}

const server = createServer((req, res) => {
  const port = pickPort();
  proxy.web(req, res, { target: `http://127.0.0.1:${port}` }, (error) => failed(port, error, res));
});
server.on('upgrade', (req, socket, head) => {
  const port = pickPort();
  proxy.ws(req, socket, head, { target: `http://127.0.0.1:${port}` }, (error) => failed(port, error, socket));
});
server.listen(PROXY_PORT, () => {
  console.log(
    `cluster: open http://localhost:${PROXY_PORT} (round robin over ports ${NODE_PORTS.join(', ')}); Ctrl+C stops everything`,
  );
});

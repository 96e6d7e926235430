/**
 * Starts a crowd of bots (bot-crowd.ts) in a child process against a test
 * server, and resolves once every bot has joined its rooms.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { CrowdPlan } from './bot-crowd';

const WEB_DIR = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export interface Crowd {
  /** Closes every bot's socket cleanly and waits for the process to end. */
  stop(): Promise<void>;
}

export function startCrowd(serverUrl: string, plan: Omit<CrowdPlan, 'url'>): Promise<Crowd> {
  const url = `${serverUrl.replace(/^http/, 'ws')}/ws`;
  const child = spawn(
    process.execPath,
    [
      '--experimental-websocket',
      '--no-warnings',
      '--conditions=@tether/source',
      '--import',
      'tsx',
      'e2e/support/bot-crowd.ts',
      JSON.stringify({ ...plan, url }),
    ],
    { cwd: WEB_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const crowd: Crowd = {
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  let output = '';
  return new Promise<Crowd>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bots did not join within ${READY_TIMEOUT_MS} ms:\n${output}`));
    }, READY_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (output += chunk));
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('"ready"')) {
        clearTimeout(timer);
        resolve(crowd);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bots exited (${code}) before joining:\n${output}`));
    });
  });
}

/**
 * The process entry point: the only place that reads `process.env`, listens
 * for signals or exits.
 */
import { ConfigError, RETIRED_SETTINGS, loadConfig } from './config.js';
import { startServer } from './server.js';

/** docs/protocol.md: exit 0 within 10 s of SIGTERM; leave a margin. */
const SHUTDOWN_DEADLINE_MS = 9000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tether: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  // A setting an earlier version read: say what replaced it rather than ignore it silently.
  for (const [name, replacement] of Object.entries(RETIRED_SETTINGS)) {
    if (process.env[name] !== undefined) process.stderr.write(`tether: ${replacement}\n`);
  }

  const server = await startServer(config);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      process.stderr.write(`tether: shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`tether: shutdown after ${signal} failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tether: could not start: ${message}\n`);
  process.exit(1);
});

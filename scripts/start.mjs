// `pnpm start`: build what is missing or stale, then run the production server.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

import { SERVER_ENTRY, buildIfStale, root } from './build-if-stale.mjs';

await buildIfStale('start');

// Node cannot exec(), so the server runs as our child and we stand in for it:
// signals sent to this process (by a supervisor, `docker stop`, `kill`) go on
// to the server, which needs them to shut down cleanly (close sockets with
// 1001, finish storing what it acked). Ctrl+C in a terminal reaches both
// processes, so the server may see SIGINT twice and must not mind.
const server = spawn(process.execPath, [SERVER_ENTRY], { cwd: root, stdio: 'inherit', shell: false });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('error', (error) => {
  console.error(`start: could not start the server: ${error.message}`);
  process.exit(1);
});
server.on('exit', (code, signal) => {
  // A server killed by a signal exits the way shells report it: 128 + signal number.
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});

/**
 * Many reconnecting clients in a process of their own, for load tests that
 * must not measure the load generator: it lowers its own CPU priority, so on
 * a small machine the server under test gets the CPU first.
 *
 * Driven over IPC (`fork`): `{ cmd: 'connect', url, clients, rooms, batch,
 * timeoutMs }` brings everyone in (a `ReconnectingClient` each, reconnecting
 * only when told: hello with the token it got before, then join its room) and
 * answers `{ ok, ms, back, failed, closes }`; `{ cmd: 'exit' }` ends it.
 * `back` holds, for each client, the ms from the command to its `joined`;
 * `closes` the close code of each client's previous connection (0: none).
 */
import { setPriority } from 'node:os';

import { ReconnectingClient } from './reconnecting.js';

interface ConnectCommand {
  cmd: 'connect';
  url: string;
  clients: number;
  rooms: number;
  /** Connect in batches of this many (0: all at once). */
  batch: number;
  timeoutMs: number;
}

type Command = ConnectCommand | { cmd: 'exit' };

const clients: ReconnectingClient[] = [];

async function connectAll(command: ConnectCommand): Promise<void> {
  while (clients.length < command.clients) {
    const i = clients.length;
    const client = new ReconnectingClient(command.url, `storm${i}`, {
      reconnect: 'manual',
      handshakeTimeoutMs: command.timeoutMs,
    });
    client.join(`room${i % command.rooms}`);
    clients.push(client);
  }
  const closes = clients.map((c) => c.closes.at(-1) ?? 0);
  const started = Date.now();
  const back: number[] = [];
  const failed: string[] = [];
  const one = (c: ReconnectingClient) => {
    c.start();
    return c.ready(command.timeoutMs).then(
      () => {
        back.push(Date.now() - started);
      },
      (error: unknown) => {
        failed.push([String(error), ...c.problems].join('; '));
      },
    );
  };
  const size = command.batch > 0 ? command.batch : clients.length;
  for (let i = 0; i < clients.length; i += size) await Promise.all(clients.slice(i, i + size).map(one));
  const problems = clients.flatMap((c) => c.problems);
  process.send?.({
    ok: failed.length === 0 && problems.length === 0,
    ms: Date.now() - started,
    back,
    failed: [...failed, ...problems].slice(0, 10),
    closes,
  });
}

try {
  setPriority(19);
} catch {
  // Not allowed here: run at the normal priority.
}

process.on('message', (command: Command) => {
  if (command.cmd === 'exit') {
    for (const c of clients) c.stop();
    process.exit(0);
  }
  void connectAll(command);
});
process.on('disconnect', () => process.exit(0));

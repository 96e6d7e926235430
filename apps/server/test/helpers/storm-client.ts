/**
 * Many WebSocket clients in a process of their own, for load tests that must
 * not measure the load generator: it lowers its own CPU priority, so on a
 * small machine the server under test gets the CPU first.
 *
 * Driven over IPC (`fork`): `{ cmd: 'connect', url, clients, rooms, batch }`
 * connects everyone (hello with the token each got before, then join), and
 * answers `{ ok, ms, back, failed, closes }`; `{ cmd: 'exit' }` ends it.
 * `back` holds, for each client, the ms from the command to its `joined`.
 */
import { setPriority } from 'node:os';

import WebSocket from 'ws';

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

interface Client {
  name: string;
  room: string;
  token: string | undefined;
  ws: WebSocket | undefined;
  /** Close code of the last connection, once it closed. */
  closed: number | undefined;
}

const clients: Client[] = [];

function session(url: string, client: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    client.ws = ws;
    client.closed = undefined;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${client.name}: not joined within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          v: 1,
          name: client.name,
          ...(client.token ? { token: client.token } : {}),
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as {
        type: string;
        token?: string;
        room?: string;
        code?: string;
      };
      if (m.type === 'welcome') {
        client.token = m.token;
        ws.send(JSON.stringify({ type: 'join', room: client.room }));
      } else if (m.type === 'joined' && m.room === client.room) {
        clearTimeout(timer);
        resolve();
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${client.name}: error ${m.code ?? '?'}`));
      }
    });
    ws.on('close', (code: number) => {
      client.closed = code;
      clearTimeout(timer);
      reject(new Error(`${client.name}: closed ${code} before joined`));
    });
    ws.on('error', () => undefined);
  });
}

async function connectAll(command: ConnectCommand): Promise<void> {
  while (clients.length < command.clients) {
    const i = clients.length;
    clients.push({
      name: `storm${i}`,
      room: `room${i % command.rooms}`,
      token: undefined,
      ws: undefined,
      closed: undefined,
    });
  }
  const closes = clients.map((c) => c.closed ?? 0);
  const started = Date.now();
  const back: number[] = [];
  const failed: string[] = [];
  const one = (c: Client) =>
    session(command.url, c, command.timeoutMs).then(
      () => {
        back.push(Date.now() - started);
      },
      (error: unknown) => {
        failed.push(String(error));
      },
    );
  const size = command.batch > 0 ? command.batch : clients.length;
  for (let i = 0; i < clients.length; i += size) await Promise.all(clients.slice(i, i + size).map(one));
  process.send?.({
    ok: failed.length === 0,
    ms: Date.now() - started,
    back,
    failed: failed.slice(0, 10),
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
    for (const c of clients) c.ws?.terminate();
    process.exit(0);
  }
  void connectAll(command);
});
process.on('disconnect', () => process.exit(0));

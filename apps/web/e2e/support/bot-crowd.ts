/**
 * A crowd of chat clients in a process of its own (started by bots.ts): each
 * bot says hello with its name and joins its rooms, then stays, answering the
 * server's pings as any WebSocket does. One JSON line on stdout says when
 * every join was answered; a SIGTERM closes every socket cleanly (1000) and
 * ends the process.
 *
 * Node 20 has a WebSocket only behind --experimental-websocket, which bots.ts
 * passes: no WebSocket library for the web app's tests to depend on.
 */
import type { ClientMessage, ServerMessage } from '@tether/protocol';

export interface CrowdPlan {
  /** `ws://host:port/ws`. */
  url: string;
  /** Every bot joins these. */
  rooms: string[];
  /** Bot i also joins `extraRooms[i]`, when there is one. */
  extraRooms: string[];
  count: number;
  /** Bot i is named `${prefix}${i}`, zero-padded to the width of `count`. */
  prefix: string;
}

/** Bots connecting at once: more would only queue in the kernel's backlog. */
const BATCH = 50;

function send(socket: WebSocket, frame: ClientMessage): void {
  socket.send(JSON.stringify(frame));
}

function runBot(plan: CrowdPlan, index: number): Promise<WebSocket> {
  const name = `${plan.prefix}${String(index).padStart(String(plan.count - 1).length, '0')}`;
  const extra = plan.extraRooms[index];
  const rooms = extra === undefined ? plan.rooms : [...plan.rooms, extra];
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(plan.url);
    let waiting = rooms.length;
    socket.onopen = () => send(socket, { type: 'hello', v: 1, name });
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as ServerMessage;
      if (frame.type === 'welcome') for (const room of rooms) send(socket, { type: 'join', room });
      else if (frame.type === 'joined' && --waiting === 0) resolve(socket);
      else if (frame.type === 'error') reject(new Error(`${name}: ${frame.code} ${frame.message}`));
    };
    socket.onclose = (event) => reject(new Error(`${name}: closed ${event.code} ${event.reason}`));
  });
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as CrowdPlan;
  const sockets: WebSocket[] = [];
  process.once('SIGTERM', () => {
    for (const socket of sockets) {
      socket.onclose = null;
      socket.close(1000, 'done');
    }
    setTimeout(() => process.exit(0), 500);
  });
  for (let first = 0; first < plan.count; first += BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(plan.count, first + BATCH); i++) batch.push(runBot(plan, i));
    sockets.push(...(await Promise.all(batch)));
  }
  for (const socket of sockets) {
    // From here on a drop is the test's business, not a failure to start.
    socket.onclose = null;
    socket.onmessage = null;
  }
  process.stdout.write(`${JSON.stringify({ ready: sockets.length })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});

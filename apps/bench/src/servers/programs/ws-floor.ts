/**
 * A reference, not a chat server: the naive room's protocol, but each
 * broadcast is framed once by hand and the same bytes are written straight to
 * every member's socket (one write per delivery, nothing else). Its CPU at a
 * fixed load is what the writes themselves cost on this machine: a floor no
 * server that writes each delivery can go below. Run as its own process by
 * the benchmark (PORT, HOST).
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

import { WebSocket, WebSocketServer } from 'ws';

interface Incoming {
  type?: string;
  room?: string;
  id?: string;
  text?: string;
  name?: string;
}

/** An unmasked final text frame (RFC 6455 §5.2) holding `text`. */
function frame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(head + length);
  bytes[0] = 0x81;
  if (length < 126) bytes[1] = length;
  else if (length < 65_536) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeBigUInt64BE(BigInt(length), 2);
  }
  bytes.write(text, head, 'utf8');
  return bytes;
}

const server = createServer((_req, res) => {
  res.end('{"status":"ok"}');
});
const wss = new WebSocketServer({ server, path: '/ws' });
const rooms = new Map<string, Set<Socket>>();

wss.on('connection', (ws) => {
  // ws keeps the raw socket it upgraded; writing complete frames to it is
  // what a server that frames each broadcast once does underneath.
  const socket = (ws as unknown as { _socket: Socket })._socket;
  let name = 'anonymous';
  const mine = new Set<string>();
  ws.on('message', (data: Buffer) => {
    let msg: Incoming;
    try {
      msg = JSON.parse(data.toString()) as Incoming;
    } catch {
      return;
    }
    const room = msg.room ?? '';
    if (msg.type === 'hello') {
      name = msg.name ?? name;
      ws.send(JSON.stringify({ type: 'welcome', name }));
    } else if (msg.type === 'join') {
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Set()));
      members.add(socket);
      mine.add(room);
      ws.send(JSON.stringify({ type: 'joined', room }));
    } else if (msg.type === 'send') {
      const bytes = frame(
        JSON.stringify({ type: 'message', room, id: msg.id, from: name, ts: Date.now(), text: msg.text }),
      );
      for (const member of rooms.get(room) ?? []) member.write(bytes);
    }
  });
  ws.on('close', () => {
    for (const room of mine) rooms.get(room)?.delete(socket);
  });
});

const stop = (): void => {
  for (const client of wss.clients)
    if (client.readyState === WebSocket.OPEN) client.close(1001, 'restarting');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

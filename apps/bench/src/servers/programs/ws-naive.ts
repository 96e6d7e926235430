/**
 * The tutorial chat room: Koa for HTTP, `ws` on the same server, and a
 * broadcast that loops `client.send(text)` over the room. Nothing batched,
 * nothing stored. Run as its own process by the benchmark (PORT, HOST).
 */
import { createServer } from 'node:http';

import Koa from 'koa';
import { WebSocket, WebSocketServer } from 'ws';

interface Incoming {
  type?: string;
  room?: string;
  id?: string;
  text?: string;
  name?: string;
}

const app = new Koa();
app.use((ctx) => {
  ctx.body = { status: 'ok' };
});
// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's handler returns a promise it handles itself
const server = createServer(app.callback());
const wss = new WebSocketServer({ server, path: '/ws' });
const rooms = new Map<string, Set<WebSocket>>();

wss.on('connection', (ws) => {
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
      members.add(ws);
      mine.add(room);
      ws.send(JSON.stringify({ type: 'joined', room }));
    } else if (msg.type === 'send') {
      const text = JSON.stringify({
        type: 'message',
        room,
        id: msg.id,
        from: name,
        ts: Date.now(),
        text: msg.text,
      });
      for (const client of rooms.get(room) ?? []) {
        if (client.readyState === WebSocket.OPEN) client.send(text);
      }
    }
  });
  ws.on('close', () => {
    for (const room of mine) rooms.get(room)?.delete(ws);
  });
});

const stop = (): void => {
  for (const client of wss.clients) client.close(1001, 'restarting');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

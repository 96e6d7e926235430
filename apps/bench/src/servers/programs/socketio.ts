/**
 * Socket.IO 4 as its documentation shows a room: websocket transport only,
 * `socket.join(room)` and `io.to(room).emit(...)`. Nothing stored. Run as its
 * own process by the benchmark (PORT, HOST).
 */
import { createServer } from 'node:http';

import { Server } from 'socket.io';

type Ack = () => void;

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room: string, ...rest: unknown[]) => {
    void socket.join(room);
    const ack = rest.at(-1);
    if (typeof ack === 'function') (ack as Ack)();
  });
  socket.on('msg', (room: string, id: string, text: string) => {
    io.to(room).emit('msg', { room, id, from: socket.id, ts: Date.now(), text });
  });
});

const stop = (): void => {
  void io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

httpServer.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

/**
 * Socket.IO 4 with SQLite, the design of Socket.IO's own chat tutorial: each
 * message is stored with its own INSERT (a unique client offset makes resends
 * harmless), broadcast to the room, then acked; a (re)joining client names
 * the last row id it has and gets every later row of the room replayed.
 * better-sqlite3 with WAL and synchronous = FULL, as Tether runs SQLite.
 * Run as its own process by the benchmark (PORT, HOST, DATABASE_PATH).
 */
import { createServer } from 'node:http';

import Database from 'better-sqlite3';
import { Server } from 'socket.io';

type Ack = (...args: unknown[]) => void;

interface Row {
  id: number;
  room: string;
  content: string;
}

const db = new Database(process.env.DATABASE_PATH ?? 'socketio.db');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_offset TEXT UNIQUE,
  room TEXT NOT NULL,
  content TEXT NOT NULL
)`);
const insert = db.prepare<[string, string, string]>(
  'INSERT INTO messages (client_offset, room, content) VALUES (?, ?, ?)',
);
const after = db.prepare<[string, number], Row>(
  'SELECT id, room, content FROM messages WHERE room = ? AND id > ? ORDER BY id',
);

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room: string, ...rest: unknown[]) => {
    void socket.join(room);
    const ack = rest.pop();
    const since = rest[0];
    if (typeof since === 'number') {
      for (const row of after.iterate(room, since)) {
        socket.emit('msg', { room: row.room, id: row.id, text: row.content });
      }
    }
    if (typeof ack === 'function') (ack as Ack)();
  });
  socket.on('msg', (room: string, clientOffset: string, text: string, ack?: Ack) => {
    let id: number;
    try {
      id = Number(insert.run(clientOffset, room, text).lastInsertRowid);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') ack?.();
      return;
    }
    io.to(room).emit('msg', { room, id, ts: Date.now(), text });
    ack?.();
  });
});

const stop = (): void => {
  void io.close(() => {
    db.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

httpServer.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

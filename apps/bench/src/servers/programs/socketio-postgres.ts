/**
 * Socket.IO 4 with PostgreSQL, the same design as socketio-sqlite (Socket.IO's
 * chat tutorial): each message is stored with its own INSERT, in autocommit
 * (one transaction, so one WAL flush, per message; synchronous_commit on, the
 * cluster's setting), broadcast to the room, then acked. A unique client
 * offset makes resends harmless; a (re)joining client names the last row id
 * it has and gets every later row of the room replayed.
 * node-postgres (`pg`) with a pool of 10, its default and Tether's
 * DATABASE_POOL_SIZE default, so up to 10 INSERTs are in flight at once.
 * Run as its own process by the benchmark (PORT, HOST, DATABASE_URL).
 */
import { createServer } from 'node:http';

import pg from 'pg';
import { Server } from 'socket.io';

type Ack = (...args: unknown[]) => void;

interface Row {
  id: number;
  room: string;
  content: string;
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
// A connection that breaks while idle must not end the process.
pool.on('error', () => undefined);

await pool.query(`CREATE TABLE IF NOT EXISTS messages (
  id bigserial PRIMARY KEY,
  client_offset text UNIQUE,
  room text NOT NULL,
  content text NOT NULL
)`);
await pool.query('CREATE INDEX IF NOT EXISTS messages_by_room ON messages (room, id)');

const UNIQUE_VIOLATION = '23505';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room: string, ...rest: unknown[]) => {
    void socket.join(room);
    const ack = rest.pop();
    const since = rest[0];
    const done = (): void => {
      if (typeof ack === 'function') (ack as Ack)();
    };
    if (typeof since !== 'number') return done();
    pool
      .query<Row>({
        name: 'after',
        text: 'SELECT id::int AS id, room, content FROM messages WHERE room = $1 AND id > $2 ORDER BY id',
        values: [room, since],
      })
      .then(({ rows }) => {
        for (const row of rows) socket.emit('msg', { room: row.room, id: row.id, text: row.content });
        done();
      })
      .catch(done);
  });
  socket.on('msg', (room: string, clientOffset: string, text: string, ack?: Ack) => {
    pool
      .query<{ id: number }>({
        name: 'insert',
        text: 'INSERT INTO messages (client_offset, room, content) VALUES ($1, $2, $3) RETURNING id::int AS id',
        values: [clientOffset, room, text],
      })
      .then(({ rows }) => {
        io.to(room).emit('msg', { room, id: rows[0]?.id, ts: Date.now(), text });
        ack?.();
      })
      .catch((error: unknown) => {
        // Stored before (a resend): acked again, not broadcast again.
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) ack?.();
      });
  });
});

const stop = (): void => {
  void io.close(() => {
    void pool.end().finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

httpServer.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

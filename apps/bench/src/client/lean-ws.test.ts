import { createHash } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { LeanWs, counted, type WsHandler } from './lean-ws.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A server frame: final, unmasked. */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65_536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65_536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeUInt32BE(0, 2);
    head.writeUInt32BE(n, 6);
  }
  return Buffer.concat([head, payload]);
}

/** Unmasks the client frames in `data` (enough for the small frames these tests send). */
function clientFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 6 <= data.length) {
    const opcode = data[i]! & 0x0f;
    expect(data[i + 1]! & 0x80).toBe(0x80); // clients must mask
    const n = data[i + 1]! & 0x7f;
    expect(n).toBeLessThan(126);
    const key = data.subarray(i + 2, i + 6);
    const payload = Buffer.from(data.subarray(i + 6, i + 6 + n));
    for (let j = 0; j < n; j++) payload[j]! ^= key[j & 3]!;
    out.push({ opcode, payload });
    i += 6 + n;
  }
  return out;
}

interface Fixture {
  port: number;
  /** Bytes the client sent after its handshake. */
  received: Buffer[];
  /** Sends `bytes` one byte per write, so every frame arrives split over many reads. */
  trickle: (bytes: Buffer) => Promise<void>;
  write: (bytes: Buffer) => void;
  close: () => Promise<void>;
}

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

/** A raw server on port 0 that accepts one upgrade and then writes what it is told. */
async function rawServer(): Promise<Fixture> {
  let socket: net.Socket | undefined;
  const received: Buffer[] = [];
  let ready: () => void = () => undefined;
  const upgraded = new Promise<void>((resolve) => (ready = resolve));
  const server = net.createServer((s) => {
    socket = s;
    s.setNoDelay(true);
    let head = '';
    s.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) {
        received.push(chunk);
        return;
      }
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      s.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      ready();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fixture: Fixture = {
    port: (server.address() as AddressInfo).port,
    received,
    trickle: async (bytes) => {
      await upgraded;
      for (const byte of bytes) {
        if (socket!.destroyed) return;
        socket!.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    },
    write: (bytes) => socket!.write(bytes),
    close: () =>
      new Promise((resolve) => {
        socket?.destroy();
        server.close(() => resolve());
      }),
  };
  fixtures.push(fixture);
  return fixture;
}

function collector(): WsHandler & {
  texts: string[];
  opened: Promise<void>;
  closed: Promise<number>;
  reason: string | undefined;
} {
  let open: () => void = () => undefined;
  let close: (code: number) => void = () => undefined;
  const texts: string[] = [];
  const handler = {
    texts,
    reason: undefined as string | undefined,
    opened: new Promise<void>((resolve) => (open = resolve)),
    closed: new Promise<number>((resolve) => (close = resolve)),
    onOpen: () => open(),
    onText: (buf: Buffer, start: number, end: number) => texts.push(buf.toString('utf8', start, end)),
    onClose: (code: number, _opened: boolean, reason: string) => {
      handler.reason = reason;
      close(code);
    },
  };
  return handler;
}

const until = async (check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('LeanWs', () => {
  it('reads frames of every length class even when each arrives one byte at a time', async () => {
    const server = await rawServer();
    const handler = collector();
    const ws = new LeanWs(
      { host: '127.0.0.1', port: server.port, path: '/ws', connectTimeoutMs: 5000 },
      handler,
    );
    await handler.opened;
    const texts = ['hi', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(300)];
    await server.trickle(Buffer.concat(texts.map((t) => serverFrame(0x1, Buffer.from(t)))));
    await until(() => handler.texts.length === texts.length);
    expect(handler.texts).toEqual(texts);
    ws.destroy();
  });

  it('in count mode counts large text frames without handing them over, and still answers pings', async () => {
    const server = await rawServer();
    const handler = collector();
    const ws = new LeanWs(
      { host: '127.0.0.1', port: server.port, path: '/ws', connectTimeoutMs: 5000 },
      handler,
    );
    await handler.opened;
    ws.mode = 'count';
    const before = counted.frames;
    await server.trickle(
      Buffer.concat([
        serverFrame(0x1, Buffer.from('a'.repeat(200))),
        serverFrame(0x9, Buffer.from('beat')),
        serverFrame(0x1, Buffer.from('2')), // small frames (Engine.IO ping) are still inspected
      ]),
    );
    server.write(serverFrame(0x1, Buffer.alloc(70_000, 0x62)));
    await until(() => counted.frames - before === 2 && handler.texts.length === 1);
    expect(handler.texts).toEqual(['2']);
    await until(() => server.received.length > 0);
    const pong = clientFrames(Buffer.concat(server.received)).find((f) => f.opcode === 0xa);
    expect(pong?.payload.toString()).toBe('beat');
    ws.destroy();
  });

  it('sends masked text frames and reports the close code and reason the server sent', async () => {
    const server = await rawServer();
    const handler = collector();
    const ws = new LeanWs(
      { host: '127.0.0.1', port: server.port, path: '/ws', connectTimeoutMs: 5000 },
      handler,
    );
    await handler.opened;
    ws.sendText('{"type":"hello"}');
    await until(() => server.received.length > 0);
    expect(clientFrames(Buffer.concat(server.received))[0]).toEqual({
      opcode: 0x1,
      payload: Buffer.from('{"type":"hello"}'),
    });
    const hint = '{"restart":true,"retryInMs":500,"spreadMs":1000}';
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1001, 0);
    await server.trickle(serverFrame(0x8, Buffer.concat([code, Buffer.from(hint)])));
    expect(await handler.closed).toBe(1001);
    expect(handler.reason).toBe(hint);
  });

  it('reports a failed handshake as a close before open', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let opened: boolean | undefined;
    const handler = collector();
    handler.onClose = (_code, wasOpen) => (opened = wasOpen);
    new LeanWs(
      {
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        path: '/ws',
        connectTimeoutMs: 5000,
      },
      handler,
    );
    await until(() => opened !== undefined);
    expect(opened).toBe(false);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

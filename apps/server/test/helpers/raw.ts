/**
 * Raw TCP clients for what a well-behaved library never sends: malformed
 * handshakes, hand-built frames (fragments, bad UTF-8, RSV bits), and sockets
 * that stop half-way. Every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The response's bytes after the header block (for an upgrade: the first frames). */
  rest: Buffer;
  /** Every byte received, header block included. */
  raw: Buffer;
}

function parseHead(raw: Buffer): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status, headers, rest: raw.subarray(end + 4), raw };
}

/** Opens a TCP connection to 127.0.0.1:port (bounded). */
export function tcp(port: number, timeoutMs = 3000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect 127.0.0.1:${port}: timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Sends `request` as it is and resolves with the answer: when the server
 * closes, or as soon as a 101 header block is complete. `status` 0 means the
 * server closed without answering.
 */
export async function rawRequest(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
): Promise<RawResponse & { closedByServer: boolean }> {
  const socket = await tcp(port, timeoutMs);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const parsed = parseHead(raw) ?? { status: 0, headers: {}, rest: raw, raw };
      socket.destroy();
      resolve({ ...parsed, closedByServer });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      const raw = Buffer.concat(chunks);
      reject(
        new Error(
          `no complete answer within ${timeoutMs} ms; got ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const head = parseHead(Buffer.concat(chunks));
      if (head?.status === 101) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(request);
  });
}

/** A valid RFC 6455 handshake request for `/ws`, with `extra` header lines appended. */
export function handshake(port: number, extra: readonly string[] = [], path = '/ws'): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

export const OPCODE = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

export interface FrameOptions {
  fin?: boolean;
  /** Sets RSV1 (the per-message-deflate bit). */
  rsv1?: boolean;
  /** Client frames must be masked; false sends an unmasked one. */
  mask?: boolean;
  /** Announce this payload length instead of the real one (a frame that never ends). */
  announcedLength?: number;
}

/** Builds one client frame. */
export function clientFrame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const length = options.announcedLength ?? data.length;
  const mask = options.mask ?? true;
  const ext = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  header[0] = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (ext === 0) header[1] = maskBit | length;
  else if (ext === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (!mask) return Buffer.concat([header, data]);
  const key = randomBytes(4);
  key.copy(header, 2 + ext);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = (data[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, masked]);
}

export interface RawClose {
  /** The close frame's code, or 1006 when the socket ended without one. */
  code: number;
  reason: string;
}

/**
 * A WebSocket client over a raw socket: frames out are built by hand, frames
 * in (unmasked server frames) are parsed. Server pings are answered unless
 * `autoPong` is false.
 */
export class RawWebSocket {
  /** Text frames received, decoded. */
  readonly texts: string[] = [];
  pings = 0;
  /** Payloads of the pongs received, as text. */
  readonly pongs: string[] = [];
  responsive = true;
  private buffer: Buffer = Buffer.alloc(0);
  private closeFrame: RawClose | undefined;
  private ended: RawClose | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly socket: Socket,
    readonly response: RawResponse,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = this.closeFrame ?? { code: 1006, reason: '' };
      this.wake();
    });
    if (response.rest.length > 0) this.onData(response.rest);
  }

  /** Performs the handshake; rejects unless the answer is 101. */
  static async open(port: number, extra: readonly string[] = [], timeoutMs = 3000): Promise<RawWebSocket> {
    const socket = await tcp(port, timeoutMs);
    return new Promise((resolve, reject) => {
      let received: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no handshake answer in time'));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const head = parseHead(received);
        if (!head) return;
        clearTimeout(timer);
        socket.off('data', onData);
        if (head.status !== 101) {
          socket.destroy();
          reject(new Error(`handshake answered ${head.status}`));
          return;
        }
        resolve(new RawWebSocket(socket, head));
      };
      socket.on('data', onData);
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new Error('closed during the handshake'));
      });
      socket.write(handshake(port, extra));
    });
  }

  send(opcode: number, payload: Buffer | string, options?: FrameOptions): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(clientFrame(opcode, payload, options));
  }

  sendText(text: string): boolean {
    return this.send(OPCODE.TEXT, text);
  }

  /** Resolves once the socket is closed (by either side), bounded. */
  closed(timeoutMs = 3000): Promise<RawClose> {
    return this.until(() => this.ended, timeoutMs, 'the connection to close');
  }

  get isClosed(): boolean {
    return this.ended !== undefined;
  }

  /** The close frame the server sent, if any, even while the socket is still open. */
  get closeFrameReceived(): RawClose | undefined {
    return this.closeFrame;
  }

  /** The next text frame that satisfies `match`, parsed as JSON. */
  nextJson(
    match: (frame: Record<string, unknown>) => boolean,
    timeoutMs = 2000,
  ): Promise<Record<string, unknown>> {
    let from = 0;
    return this.until(
      () => {
        for (; from < this.texts.length; from++) {
          const parsed = JSON.parse(this.texts[from]!) as Record<string, unknown>;
          if (match(parsed)) {
            from++;
            return parsed;
          }
        }
        return undefined;
      },
      timeoutMs,
      'a matching frame',
    );
  }

  /** Resolves once a pong with this payload arrived, or with false when the connection closed first. */
  pongOrClose(payload: string, timeoutMs = 2000): Promise<boolean> {
    return this.until(
      () => (this.pongs.includes(payload) ? true : this.ended || this.closeFrame ? false : undefined),
      timeoutMs,
      `pong ${payload}`,
    );
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(value);
        } else if (this.ended) {
          clearTimeout(timer);
          this.waiters.delete(check);
          reject(new Error(`connection closed (${this.ended.code}) while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; texts: ${this.texts.slice(-5).join(' | ')}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) break;
      const opcode = (this.buffer[0] as number) & 0x0f;
      const len7 = (this.buffer[1] as number) & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      if (this.buffer.length < 2 + ext) break;
      const length =
        len7 === 126
          ? this.buffer.readUInt16BE(2)
          : len7 === 127
            ? this.buffer.readUInt32BE(2) * 2 ** 32 + this.buffer.readUInt32BE(6)
            : len7;
      if (this.buffer.length < 2 + ext + length) break;
      const payload = this.buffer.subarray(2 + ext, 2 + ext + length);
      this.buffer = this.buffer.subarray(2 + ext + length);
      if (opcode === OPCODE.TEXT) this.texts.push(payload.toString('utf8'));
      else if (opcode === OPCODE.PING) {
        this.pings += 1;
        if (this.responsive) this.send(OPCODE.PONG, Buffer.from(payload));
      } else if (opcode === OPCODE.PONG) {
        this.pongs.push(payload.toString('utf8'));
      } else if (opcode === OPCODE.CLOSE) {
        if (!this.closeFrame) {
          this.closeFrame = {
            code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
            reason: payload.subarray(2).toString('utf8'),
          };
          if (this.responsive) this.send(OPCODE.CLOSE, Buffer.from(payload.subarray(0, 2)));
        }
      }
    }
    this.wake();
  }
}

/**
 * The cheapest WebSocket client that speaks RFC 6455 well enough for a load
 * generator: an HTTP/1.1 upgrade over `net`, masked writes, unmasked reads.
 *
 * Reads go into one buffer shared by every socket (`onread`): the callback
 * runs synchronously, so no Buffer is allocated per read. In `count` mode a
 * text frame longer than `SMALL_FRAME` bytes is only counted (its payload is
 * skipped, never copied or decoded); in `inspect` mode every frame reaches
 * the handler as a slice of the read buffer (zero-copy when the frame is
 * whole in one read, else assembled once).
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Frames up to this size are always inspected (Engine.IO pings are one byte). */
const SMALL_FRAME = 16;
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Frames counted without being read, across every socket of the process. */
export const counted = { frames: 0 };

export interface WsHandler {
  onOpen(): void;
  /** A text frame in `inspect` mode (or a small one): `buf[start, end)`, valid only during the call. */
  onText(buf: Buffer, start: number, end: number): void;
  /**
   * Called once. `opened` is false when the connection or handshake failed;
   * `reason` is the close frame's reason ('' without one, or without a close frame).
   */
  onClose(code: number, opened: boolean, reason: string): void;
}

export interface LeanWsOptions {
  host: string;
  port: number;
  /** Request target, e.g. `/ws` or `/socket.io/?EIO=4&transport=websocket`. */
  path: string;
  /** The handshake must finish within this time, or the socket is destroyed. */
  connectTimeoutMs: number;
}

export type ReadMode = 'inspect' | 'count';

const enum State {
  Connecting,
  Open,
  Closing,
  Closed,
}

export class LeanWs {
  mode: ReadMode = 'inspect';
  private state = State.Connecting;
  private readonly socket: net.Socket;
  private readonly key = randomBytes(16).toString('base64');
  private handshake = '';
  private connectTimer: NodeJS.Timeout | undefined;
  // Frame parser state, kept between reads.
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private remaining = 0;
  private collecting = false;
  private opcode = 0;
  private assembly: Buffer = Buffer.alloc(0);
  private assembled = 0;

  constructor(
    private readonly options: LeanWsOptions,
    private readonly handler: WsHandler,
  ) {
    this.socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.onRead(buffer as Buffer, bytes);
          return true;
        },
      },
    });
    this.connectTimer = setTimeout(() => this.destroy(), options.connectTimeoutMs);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', () => this.finish(1006));
    this.socket.on('close', () => this.finish(1006));
  }

  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /** Bytes written but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  sendText(text: string): void {
    if (this.state !== State.Open) return;
    this.socket.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  /** Starts the close handshake; the socket is cut if the server does not answer soon. */
  close(code = 1000): void {
    if (this.state !== State.Open) {
      this.destroy();
      return;
    }
    this.state = State.Closing;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.socket.end(frame(0x8, payload));
    setTimeout(() => this.destroy(), 2000).unref();
  }

  /** Drops the connection without a close handshake. */
  destroy(): void {
    this.socket.destroy();
    this.finish(1006);
  }

  private finish(code: number, reason = ''): void {
    if (this.state === State.Closed) return;
    const opened = this.state !== State.Connecting;
    this.state = State.Closed;
    clearTimeout(this.connectTimer);
    this.socket.destroy();
    this.handler.onClose(code, opened, reason);
  }

  private onRead(buf: Buffer, length: number): void {
    if (this.state === State.Connecting) {
      this.handshake += buf.toString('latin1', 0, length);
      const end = this.handshake.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.handshake.length > 16_384) this.destroy();
        return;
      }
      if (!this.acceptHandshake(this.handshake.slice(0, end))) {
        this.destroy();
        return;
      }
      // Frames that came with the 101 answer.
      const rest = Buffer.from(this.handshake.slice(end + 4), 'latin1');
      this.handshake = '';
      this.state = State.Open;
      clearTimeout(this.connectTimer);
      this.handler.onOpen();
      // onOpen may have closed the socket (the state is re-read on purpose).
      if (rest.length > 0 && this.isOpen) this.parse(rest, 0, rest.length);
      return;
    }
    if (this.state === State.Closed) return;
    this.parse(buf, 0, length);
  }

  private acceptHandshake(head: string): boolean {
    if (!head.startsWith('HTTP/1.1 101')) return false;
    const expected = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    return head.toLowerCase().includes(`sec-websocket-accept: ${expected.toLowerCase()}`);
  }

  private parse(buf: Buffer, from: number, end: number): void {
    let i = from;
    while (i < end) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, end - i);
        if (this.collecting) {
          buf.copy(this.assembly, this.assembled, i, i + take);
          this.assembled += take;
        }
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && this.collecting) {
          this.collecting = false;
          this.dispatch(this.opcode, this.assembly, 0, this.assembled);
          if (this.state === State.Closed) return;
        }
        continue;
      }
      // A frame header, possibly split over reads.
      let src: Buffer;
      let at: number;
      if (this.headerLength === 0 && end - i >= 2 && end - i >= headerSize(buf[i + 1] as number)) {
        src = buf;
        at = i;
        i += headerSize(buf[i + 1] as number);
      } else {
        while (this.headerLength < 2 && i < end) this.header[this.headerLength++] = buf[i++] as number;
        if (this.headerLength < 2) return;
        const size = headerSize(this.header[1] as number);
        while (this.headerLength < size && i < end) this.header[this.headerLength++] = buf[i++] as number;
        if (this.headerLength < size) return;
        src = this.header;
        at = 0;
        this.headerLength = 0;
      }
      const b0 = src[at] as number;
      const b1 = (src[at + 1] as number) & 0x7f;
      const length =
        b1 < 126
          ? b1
          : b1 === 126
            ? src.readUInt16BE(at + 2)
            : src.readUInt32BE(at + 2) * 2 ** 32 + src.readUInt32BE(at + 6);
      const opcode = b0 & 0x0f;
      if (opcode === 0x1 && this.mode === 'count' && length > SMALL_FRAME) {
        counted.frames++;
        this.remaining = length;
        continue;
      }
      if (end - i >= length) {
        this.dispatch(opcode, buf, i, i + length);
        if (this.state === State.Closed) return;
        i += length;
        continue;
      }
      if (this.assembly.length < length) this.assembly = Buffer.allocUnsafe(Math.max(length, 1024));
      this.opcode = opcode;
      this.collecting = true;
      this.assembled = 0;
      this.remaining = length;
    }
  }

  private dispatch(opcode: number, buf: Buffer, start: number, end: number): void {
    switch (opcode) {
      case 0x1:
        this.handler.onText(buf, start, end);
        return;
      case 0x8: {
        const code = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
        // The reason (a Tether server's restart hint, say) is read before the
        // shared buffer is reused.
        const reason = end - start > 2 ? buf.toString('utf8', start + 2, end) : '';
        if (this.state === State.Open) {
          const payload = Buffer.alloc(2);
          payload.writeUInt16BE(code === 1005 ? 1000 : code, 0);
          this.socket.end(frame(0x8, payload));
        }
        this.finish(code, reason);
        return;
      }
      case 0x9:
        if (this.state === State.Open) this.socket.write(frame(0xa, Buffer.from(buf.subarray(start, end))));
        return;
      default:
        // Pong, binary, continuation: nothing the benchmark needs.
        return;
    }
  }
}

function headerSize(secondByte: number): number {
  const length = secondByte & 0x7f;
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}

/** A final, masked client frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + lengthBytes + 4 + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  const maskAt = 2 + lengthBytes;
  // A fresh key per frame, as RFC 6455 asks; Math.random is cheap enough here.
  const key = (Math.random() * 0x1_0000_0000) >>> 0;
  out.writeUInt32BE(key, maskAt);
  const data = maskAt + 4;
  for (let i = 0; i < length; i++) out[data + i] = (payload[i] as number) ^ (out[maskAt + (i & 3)] as number);
  return out;
}

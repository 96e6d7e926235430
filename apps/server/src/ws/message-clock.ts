/**
 * When the message a client is sending began, read from the frame headers
 * below `ws`.
 *
 * `ws` bounds a message's bytes (`maxPayload`), its fragments
 * (`maxFragments`) and the chunks it buffers, but not its duration: a message
 * sent in fragments that never end, or one frame trickled a byte at a time,
 * holds its buffers for as long as the client also answers pings. With
 * `messageStartedAt` the heartbeat treats a message that has been in
 * progress for longer than interval + timeout as a dead link.
 *
 * Only headers are read (RFC 6455 §5.2); payloads are skipped, never copied,
 * so the cost is per frame, not per byte. `ws` still checks everything itself.
 */

const FIRST_CONTROL_OPCODE = 0x8;

export class MessageClock {
  /** When the first frame of the unfinished data message arrived; undefined between messages. */
  messageStartedAt: number | undefined;
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private headerNeeded = 2;
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  /** The current frame is the final frame of a data message. */
  private endsMessage = false;

  constructor(private readonly now: () => number) {}

  /** Feeds bytes as they come off the socket (a 'data' listener). */
  readonly push = (chunk: Buffer): void => {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        if (this.skip === 0) this.frameEnded();
        continue;
      }
      this.header[this.headerLength++] = chunk[offset++] as number;
      if (this.headerLength === 2) {
        const len7 = (this.header[1] as number) & 0x7f;
        const masked = ((this.header[1] as number) & 0x80) !== 0;
        this.headerNeeded = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      }
      if (this.headerLength === this.headerNeeded) this.headerEnded();
    }
  };

  private headerEnded(): void {
    const h = this.header;
    const fin = ((h[0] as number) & 0x80) !== 0;
    const opcode = (h[0] as number) & 0x0f;
    const len7 = (h[1] as number) & 0x7f;
    const length =
      len7 === 126
        ? h.readUInt16BE(2)
        : len7 === 127
          ? h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6)
          : len7;
    this.headerLength = 0;
    this.headerNeeded = 2;
    // Control frames (ping, pong, close) may come between fragments: they neither start nor end a message.
    this.endsMessage = opcode < FIRST_CONTROL_OPCODE && fin;
    if (opcode < FIRST_CONTROL_OPCODE) this.messageStartedAt ??= this.now();
    this.skip = length;
    if (length === 0) this.frameEnded();
  }

  private frameEnded(): void {
    if (!this.endsMessage) return;
    this.endsMessage = false;
    this.messageStartedAt = undefined;
  }
}

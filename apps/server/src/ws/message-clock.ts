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

/**
 * One per connection, so it keeps its state in number fields: no header
 * Buffer and no bound listener (a Buffer and a closure each cost more than
 * the rest of the object).
 */
export class MessageClock {
  /** When the first frame of the unfinished data message arrived; undefined between messages. */
  messageStartedAt: number | undefined = undefined;
  /** Header bytes of the current frame read so far, and how many it has. */
  private headerRead = 0;
  private headerNeeded = 2;
  /** The header's first byte (FIN, opcode). */
  private first = 0;
  /** Extended payload length bytes (0, 2 or 8), and the length read so far. */
  private extended = 0;
  private length = 0;
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  /** The current frame is the final frame of a data message. */
  private endsMessage = false;

  /** Feeds bytes as they come off the socket; `now` is when they arrived. */
  push(chunk: Buffer, now: number): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        if (this.skip === 0) this.frameEnded();
        continue;
      }
      const byte = chunk[offset++] as number;
      const at = this.headerRead++;
      if (at === 0) {
        this.first = byte;
      } else if (at === 1) {
        const len7 = byte & 0x7f;
        this.extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
        this.length = this.extended === 0 ? len7 : 0;
        this.headerNeeded = 2 + this.extended + ((byte & 0x80) !== 0 ? 4 : 0);
      } else if (at < 2 + this.extended) {
        this.length = this.length * 256 + byte;
      } // else: a mask byte
      if (this.headerRead === this.headerNeeded) this.headerEnded(now);
    }
  }

  private headerEnded(now: number): void {
    const fin = (this.first & 0x80) !== 0;
    const opcode = this.first & 0x0f;
    this.headerRead = 0;
    this.headerNeeded = 2;
    // Control frames (ping, pong, close) may come between fragments: they neither start nor end a message.
    this.endsMessage = opcode < FIRST_CONTROL_OPCODE && fin;
    if (opcode < FIRST_CONTROL_OPCODE) this.messageStartedAt ??= now;
    this.skip = this.length;
    if (this.length === 0) this.frameEnded();
  }

  private frameEnded(): void {
    if (!this.endsMessage) return;
    this.endsMessage = false;
    this.messageStartedAt = undefined;
  }
}

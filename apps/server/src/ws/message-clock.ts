/**
 * Watches the frames a client sends, below `ws`, for two things `ws` allows:
 *
 * - A message split into ever more fragments. `ws` caps the bytes of a
 *   message (`maxPayload`), not the number of its frames, and keeps one
 *   Buffer per fragment until the message ends; a message that never ends
 *   while the client answers pings would hold the connection forever.
 * - A message that never ends at all (fragments, or one frame trickled a byte
 *   at a time): `messageStartedAt` lets the heartbeat treat a connection whose
 *   message has been in progress for longer than interval + timeout as dead,
 *   whatever control frames (pongs) keep arriving meanwhile.
 *
 * Only frame headers are read (RFC 6455 §5.2); payloads are skipped, never
 * copied, so the cost is per frame, not per byte. `ws` still does every
 * check of its own: this only counts.
 */

/** More data frames than this in one message close the connection (1008). */
export const MAX_FRAGMENTS_PER_MESSAGE = 128;

export interface FragmentGuardOptions {
  now: () => number;
  maxFragments?: number;
  /** Called once, when a message goes past `maxFragments` frames. */
  onTooManyFragments: () => void;
}

const OPCODE_CONTINUATION = 0x0;
const FIRST_CONTROL_OPCODE = 0x8;

export class FragmentGuard {
  /** When the first frame of the unfinished data message arrived; undefined between messages. */
  messageStartedAt: number | undefined;
  /** Data frames of the unfinished message so far. */
  fragments = 0;
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private headerNeeded = 2;
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  /** The current frame is the final frame of a data message. */
  private endsMessage = false;
  private tripped = false;
  private readonly maxFragments: number;

  constructor(private readonly options: FragmentGuardOptions) {
    this.maxFragments = options.maxFragments ?? MAX_FRAGMENTS_PER_MESSAGE;
  }

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
    this.endsMessage = false;
    if (opcode < FIRST_CONTROL_OPCODE) {
      // Control frames (ping, pong, close) may come between fragments and do not count.
      this.messageStartedAt ??= this.options.now();
      this.fragments = opcode === OPCODE_CONTINUATION ? this.fragments + 1 : 1;
      this.endsMessage = fin;
      if (this.fragments > this.maxFragments && !this.tripped) {
        this.tripped = true;
        this.options.onTooManyFragments();
      }
    }
    this.skip = length;
    if (length === 0) this.frameEnded();
  }

  private frameEnded(): void {
    if (!this.endsMessage) return;
    this.endsMessage = false;
    this.messageStartedAt = undefined;
    this.fragments = 0;
  }
}

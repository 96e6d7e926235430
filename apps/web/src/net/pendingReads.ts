/**
 * Which read of a room an error answers. `history` and `members` answers
 * name their room but an error names only the room, and both reads may be on
 * their way at once; the server answers a connection's requests in order
 * (docs/protocol.md, "Order of requests and answers"), so an error about a
 * room answers the oldest read of it still waiting.
 */
export type RoomRead = 'history' | 'members';

export class PendingReads {
  readonly #byRoom = new Map<string, RoomRead[]>();

  sent(room: string, read: RoomRead): void {
    const reads = this.#byRoom.get(room);
    if (reads) reads.push(read);
    else this.#byRoom.set(room, [read]);
  }

  /** An answer of kind `read` arrived for `room`: the oldest such read is done. */
  answered(room: string, read: RoomRead): void {
    const reads = this.#byRoom.get(room);
    const at = reads?.indexOf(read) ?? -1;
    if (!reads || at === -1) return;
    reads.splice(at, 1);
    if (reads.length === 0) this.#byRoom.delete(room);
  }

  /**
   * An error about `room` arrived: the read it answers (now done), or
   * undefined when none waited. `read`: which kind it answers, when the error
   * says (`error.request`); else the oldest of either kind.
   */
  refused(room: string, read?: RoomRead): RoomRead | undefined {
    const reads = this.#byRoom.get(room);
    if (!reads) return undefined;
    const at = read === undefined ? 0 : reads.indexOf(read);
    const done = at === -1 ? undefined : reads.splice(at, 1)[0];
    if (reads.length === 0) this.#byRoom.delete(room);
    return done;
  }

  forget(room: string): void {
    this.#byRoom.delete(room);
  }

  /** The connection is gone: nothing is on its way any more. */
  clear(): void {
    this.#byRoom.clear();
  }
}

/**
 * What the chat logic needs from a connection, and nothing more: it never
 * sees the socket library. The transport encodes a message once into a
 * `Frame`, which can then be written to any number of peers.
 */
import type { CloseCode, Joined, ServerMessage } from '@tether/protocol';

/** A server message encoded for the wire, shareable between recipients. */
export interface Frame {
  readonly byteLength: number;
}

export type FrameEncoder = (message: ServerMessage) => Frame;

/** Encodes a `joined` answer around a member list already encoded (MemberList.encoded). */
export type JoinedEncoder = (joined: Omit<Joined, 'type' | 'members'>, members: readonly Buffer[]) => Frame;

export interface Peer {
  /** Unique per process, for logs and maps. */
  readonly id: number;
  /**
   * Queues a frame; frames go out in the order written. A frame that may
   * wait (`soon`: presence, typing) goes out with the next urgent one, or
   * within a few tens of milliseconds: in a room of thousands, a burst of
   * joins then costs each socket one write per interval, not one per join.
   */
  write(frame: Frame, soon?: boolean): void;
  /** Sends what is queued, then closes with `code`. */
  close(code: CloseCode, reason: string): void;
}

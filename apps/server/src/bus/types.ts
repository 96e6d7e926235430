/**
 * Fan-out between server processes. Every process hands what it receives to
 * its local rooms; in one process this is a direct call, with Redis it
 * crosses processes.
 */
import type { Message, User } from '@tether/protocol';

export type BusEvent =
  /** A committed message, for every connection in its room. */
  | { kind: 'message'; message: Message }
  /** A typing signal; `origin` is the sending connection, which does not get it back. */
  | { kind: 'typing'; room: string; user: User; origin: string }
  /** A user's membership of a room may have changed on some process: look again. */
  | { kind: 'presence'; room: string; userId: string };

export type BusHandler = (event: BusEvent) => void;

export interface Bus {
  /** Names this process in `origin` fields. */
  readonly nodeId: string;
  /**
   * Delivers an event to this process at once and to the others. A message
   * event is delivered here only: the store published it to the other
   * processes in the same step that stored it.
   */
  publish(event: BusEvent): void;
  subscribe(handler: BusHandler): void;
  /** Resolves while events flow (readiness probe). */
  check(): Promise<void>;
  close(): Promise<void>;
}

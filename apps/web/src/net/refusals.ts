/**
 * Which request an `error` frame refuses, and so who deals with it
 * (docs/protocol.md, "The error frame"). A server names the request
 * (`error.request`, with `id` for a send and `room` where the request named
 * one), so several requests in flight never get their answers crossed: a
 * refused `typing` no longer passes for a refused read of the same room, nor a
 * refused rename for the directory's. An older server names nothing: then the
 * error is placed as before, by its `id`, its code and its `room`, relying on
 * the order in which a connection's requests are answered.
 */
import type { ErrorMessage } from '@tether/protocol';
import { ERROR_CODES } from '@tether/protocol/constants';

import type { Logger } from './env';
import type { Refusal } from './retryAfter';
import type { RoomRead } from './pendingReads';

export interface RefusalTargets {
  /** A `send`: the outbox item with that id. */
  send(id: string, refusal: Refusal): void;
  /** The session's `hello`: a name refused, a token forgotten, a rename over budget, a version refused. */
  hello(error: ErrorMessage): void;
  /** A `join` of `room`; false when no join of it was waiting (or the refusal is not "not now"). */
  join(room: string, refusal: Refusal): boolean;
  /** A read of `room` (of kind `read` when known); false when none was waiting. */
  read(room: string, refusal: Refusal, read?: RoomRead): boolean;
  /** A `rooms` request of the directory; false when none was waiting. */
  rooms(refusal: Refusal): boolean;
  /** Whether the room's join is on its way (an older server's errors about a room answer it first). */
  joining(room: string): boolean;
  /** Nothing else took an error about `room`: the room shows it. */
  roomFailed(room: string, code: string): void;
  log: Logger;
}

/** The codes only `hello` is answered with. */
const HELLO_CODES: ReadonlySet<string> = new Set([
  ERROR_CODES.NAME_TAKEN,
  ERROR_CODES.INVALID_NAME,
  ERROR_CODES.INVALID_TOKEN,
  ERROR_CODES.UNSUPPORTED_VERSION,
]);

export function routeError(error: ErrorMessage, to: RefusalTargets): void {
  if (error.id !== undefined) {
    to.send(error.id, error);
    return;
  }
  const { room } = error;
  switch (error.request) {
    case 'hello':
      to.hello(error);
      return;
    case 'join':
      if (room !== undefined && !to.join(room, error)) to.roomFailed(room, error.code);
      return;
    case 'history':
    case 'members':
      if (room !== undefined && !to.read(room, error, error.request)) to.roomFailed(room, error.code);
      return;
    case 'rooms':
      if (!to.rooms(error)) unplaced(error, to.log);
      return;
    case 'typing':
    case 'leave':
    case 'ping':
      // Nothing waits on these: a typing signal or a leave that did not count
      // changes nothing shown (a leave is local and immediate).
      return;
    case undefined:
      routeUnnamed(error, to);
      return;
    default:
      // A request of ours that no case knows (a send without a valid id).
      unplaced(error, to.log);
  }
}

/** An older server's error, placed by its code and its room. */
function routeUnnamed(error: ErrorMessage, to: RefusalTargets): void {
  if (HELLO_CODES.has(error.code)) {
    to.hello(error);
    return;
  }
  const { room } = error;
  if (room === undefined) {
    if (!to.rooms(error)) unplaced(error, to.log);
    return;
  }
  // A join is the first request of a room on a connection, so an error about
  // a room whose join is on its way answers the join; else its oldest read.
  if (to.join(room, error)) return;
  if (!to.joining(room) && to.read(room, error)) return;
  to.roomFailed(room, error.code);
}

function unplaced(error: ErrorMessage, log: Logger): void {
  log.warn(`tether: server error ${error.code}: ${error.message}`);
}

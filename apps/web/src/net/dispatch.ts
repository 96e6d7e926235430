/**
 * The server's frames into the client's parts and the state's reducers: the
 * inbound half of the protocol client (ChatClient holds the outbound half,
 * the calls the UI makes). One switch over the frame union, ending in an
 * exhaustiveness check, so a frame type added to the protocol is a compile
 * error here until it is handled.
 */
import type { ErrorMessage, Welcome } from '@tether/protocol';
import { CLOSE_CODES } from '@tether/protocol/constants';

import { rosterReceived, seedsMemberPages } from '../state/members';
import {
  ackReceived,
  joinedReceived,
  messageReceived,
  presenceReceived,
  roomFailed,
} from '../state/reducers';
import { updateReceived } from '../state/changes';
import { renamedReceived } from '../state/renames';
import type { ChatStateStore } from '../state/store';
import type { ChatState, StatePatch } from '../state/types';
import type { Logger } from './env';
import type { SessionFrame } from './frames';
import type { Joins } from './joins';
import type { OutboxPump } from './outboxPump';
import type { Reads } from './reads';
import { routeError } from './refusals';
import type { Session } from './session';
import type { ReconnectingSocket } from './socket';
import type { Typing } from './typing';

/** The room a new session starts in. */
export const DEFAULT_ROOM = 'general';

export interface DispatchParts {
  store: ChatStateStore;
  session: Session;
  socket: ReconnectingSocket;
  outbox: OutboxPump;
  typing: Typing;
  reads: Reads;
  joins: Joins;
  log: Logger;
  /** Says hello on the current socket (again, after a refused rename). */
  sendHello(): void;
}

export class FrameDispatcher {
  readonly #parts: DispatchParts;

  constructor(parts: DispatchParts) {
    this.#parts = parts;
  }

  handle(frame: SessionFrame): void {
    const { store, outbox, reads, joins, typing, session } = this.#parts;
    const selfId = store.getState().session.user?.id ?? null;
    switch (frame.type) {
      case 'welcome':
        return this.#onWelcome(frame);
      case 'joined':
        joins.joined(frame.room);
        reads.members.joined(frame.room, seedsMemberPages(frame));
        return this.#update((s) => joinedReceived(s, frame, selfId));
      case 'left':
        // Leaving is local and immediate; the answer confirms only that.
        return;
      case 'ack':
        outbox.acked(frame.id);
        return this.#update((s) => ackReceived(s, frame, s.session.user));
      case 'message': {
        // The message without the frame's `type`: the fields of changes
        // (rev, edited, deleted, replyTo, reactions) are kept with it.
        const { type: _type, ...message } = frame;
        return this.#update((s) => messageReceived(s, message, selfId));
      }
      case 'history':
        return reads.historyReceived(frame);
      case 'presence':
        return this.#update((s) => presenceReceived(s, frame));
      case 'typing':
        return typing.received(frame, selfId);
      case 'rooms':
        return reads.directory.received(frame);
      case 'members':
        return reads.members.received(frame);
      case 'roster':
        return this.#update((s) => rosterReceived(s, frame));
      case 'renamed':
        session.renamed(frame.user);
        return this.#update((s) => renamedReceived(s, frame.user));
      case 'error':
        return this.#onError(frame);
      case 'update':
        return this.#update((s) => updateReceived(s, frame));
      default: {
        const unknown: never = frame;
        return unknown;
      }
    }
  }

  #onWelcome(welcome: Welcome): void {
    const { store, socket, session, joins, outbox } = this.#parts;
    socket.ready(welcome.heartbeat);
    session.welcomed(welcome);

    const { rooms } = store.getState();
    // The joins went out with the hello (ChatClient.#openSession), the default
    // room's for a new session included; these are the rest: refused with
    // it, or added while the hello was on its way.
    for (const room of rooms.order) if (!joins.has(room)) joins.send(room);
    outbox.failOrphans((room) => rooms.byName.has(room));
    // An older server announces no limits; the pump then paces by its fallback.
    outbox.start(welcome.limits);
    // One ping at once, after the resume traffic: the RTT readout has a value from the start.
    socket.pingNow();
  }

  /** An `error` frame: refusals.ts finds the request it refuses. */
  #onError(error: ErrorMessage): void {
    const { outbox, joins, reads, log } = this.#parts;
    routeError(error, {
      send: (id, refusal) => outbox.refused(id, refusal.code, refusal.retryAfterMs),
      hello: (refused) => this.#onHelloError(refused),
      join: (room, refusal) => joins.refused(room, refusal),
      read: (room, refusal, read) => reads.refused(room, refusal, read),
      rooms: (refusal) => reads.refusedRoomless(refusal),
      joining: (room) => joins.joining(room),
      roomFailed: (room, code) => this.#update((s) => roomFailed(s, room, code)),
      log,
    });
  }

  #onHelloError(error: ErrorMessage): void {
    const { session, socket, log } = this.#parts;
    switch (session.helloRefused(error)) {
      case 'again':
        // A refused rename: stay who we were, on this same connection.
        return this.#parts.sendHello();
      case 'wait':
        // Nothing to say hello with until the person chooses a name; the
        // server closes the socket after HELLO_TIMEOUT_MS unless one comes first.
        return socket.clearHandshakeTimer();
      case 'fatal':
        // Close 1002 follows; say why meanwhile.
        return socket.reportFailure(error.code, CLOSE_CODES.PROTOCOL_ERROR);
      case 'ignored':
        // bad_request, internal: the handshake timeout drops the socket and a new one says hello again.
        log.warn(`tether: hello refused, ${error.code}: ${error.message}`);
    }
  }

  #update(reducer: (state: ChatState) => StatePatch): void {
    const patch = reducer(this.#parts.store.getState());
    if (patch) this.#parts.store.setState(patch);
  }
}

/**
 * The shape of the web app's state: written only by the client in src/net
 * (`ChatClient` and its parts), read by hooks (src/hooks) through narrow
 * selectors.
 * Types only: this file is the contract between the two sides.
 */
import type { ReplyRef, RoomSummary, User } from '@tether/protocol';

import type { RoomMessages } from './messages';

/**
 * What the connection is doing, as the banner shows it. `restarting`: the
 * server said it restarts (the 1001 restart hint), and attempts follow its
 * pace instead of the backoff.
 */
export type ConnectionStatus =
  | { kind: 'idle' } // no name chosen yet: nothing to connect
  | { kind: 'connecting'; attempt: number; restarting?: true }
  // `since`, `retryAt`: on the monotonic clock (performance.now), like every deadline.
  | { kind: 'open'; since: number }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; restarting?: true }
  | { kind: 'offline' } // the browser says it is offline
  | { kind: 'failed'; reason: string; code?: number }; // 1002/1003/1008/1009: reported, not retried

export interface ConnectionSlice {
  status: ConnectionStatus;
  /** Round trip of the last app-level ping, in ms. */
  rttMs: number | null;
}

/**
 * Why the server (or the name rules here) refused a name. `rate_limited`: a
 * rename beyond the renames budget (20 an hour), or a new user beyond the
 * new-users budget of this network address.
 */
export type NameError = 'name_taken' | 'invalid_name' | 'rate_limited' | null;

export interface SessionSlice {
  /** Set after `welcome`; restored from storage before that. */
  user: User | null;
  /** The name the person asked for (kept while the hello is in flight). */
  pendingName: string | null;
  nameError: NameError;
  /** With `nameError` 'rate_limited': how long the server said to wait (ms), when it said. */
  nameErrorWaitMs: number | null;
  /**
   * The name to prefill the name picker with: the one that was refused
   * (`nameError`), or the saved one after the server forgot our token.
   */
  suggestedName: string | null;
  /**
   * The server said it serves changes (`welcome.features` has "changes"):
   * edit, delete, react and reply are offered only then. Kept across
   * reloads, so an offline tab still offers them.
   */
  changes: boolean;
}

export interface RoomView {
  name: string;
  epoch: string | null;
  /** Latest seq the server told us about (joined.seq, or the newest message). */
  seq: number;
  /**
   * Where the room's ordered stream of events was read up to: `joined.seq`,
   * then each live `message` and `update` (they come in seq order, gap-free).
   * The `since` of a resume. Not an ack's seq: an ack can come before the
   * frames of earlier events. Null until a `joined` (or stored before this
   * existed: then the newest gap-free message is the resume point).
   */
  stream: number | null;
  /** The server answered `joined` on the current connection. */
  joined: boolean;
  unread: number;
  /** Older messages than the first we hold exist on the server. */
  hasMore: boolean;
  loadingOlder: boolean;
  error: string | null;
}

// Every collection keyed by a name or id is a `ReadonlyMap`, never a plain
// object: see state/maps.ts.

export interface RoomsSlice {
  /** Rooms the person is in, in the order they joined them. */
  order: string[];
  byName: ReadonlyMap<string, RoomView>;
  current: string | null;
}

export interface MessagesSlice {
  /** Per room: messages keyed by seq (merge by seq, so a resend or resume never duplicates). */
  byRoom: ReadonlyMap<string, RoomMessages>;
}

export type OutboxState = 'sending' | 'failed';

/**
 * A change of a message held (docs/protocol.md section 17) waiting in the
 * outbox: it goes out like a send, in the same id space, and shows as
 * pending on its message until acked.
 */
export type OutboxChange =
  | { kind: 'edit'; target: number }
  | { kind: 'delete'; target: number }
  | { kind: 'react'; target: number; emoji: string; on: boolean };

export interface OutboxItem {
  /** The client-chosen id, reused on every resend. */
  id: string;
  room: string;
  /** A send's text, an edit's new text; '' for a delete or a reaction. */
  text: string;
  /** Absent: a new message. */
  change?: OutboxChange;
  /** A new message that replies: the message it answers, as shown while it waits (`seq` goes out). */
  replyTo?: ReplyRef;
  createdAt: number;
  state: OutboxState;
  /** For `failed`: the server's error code, e.g. 'text_too_long', 'rate_limited'. */
  error?: string;
}

export interface OutboxSlice {
  /** Oldest first. Persisted to storage; capped (see OUTBOX_LIMIT). */
  items: OutboxItem[];
  full: boolean;
}

/** How many members a room has, and whether the list held is all of them. */
export interface RoomRoster {
  /** `joined.memberCount`, `roster.count`, `members.count` (the list's length from an older server). */
  count: number;
  /**
   * True in a small room: the list is every member, kept live by presence.
   * False in a big room (docs/protocol.md, "Big rooms"): the list is the
   * first page of `joined`, presence no longer follows it, and the panel
   * reads the members a page at a time (`MemberPages`).
   */
  complete: boolean;
}

/** The members of a big room as the panel pages through them, or searches them. */
export interface MemberPages {
  /** The search these pages answer ('' for every member). */
  prefix: string;
  /** Every page received for `prefix`, in name order. */
  members: User[];
  /** More members match after the last one: "Show more" asks for them. */
  hasMore: boolean;
  /** Where the next page starts (the server's `next`); null before the first page. */
  next: string | null;
  /** A page is on its way. */
  loading: boolean;
  /** Why the last request failed (an error code), until the next one. */
  error: string | null;
}

export interface MembersSlice {
  /** Per room: every member in a small room; in a big room, the first page `joined` gave. */
  byRoom: ReadonlyMap<string, User[]>;
  rosterByRoom: ReadonlyMap<string, RoomRoster>;
  /** Per big room whose panel has asked for pages. */
  pagesByRoom: ReadonlyMap<string, MemberPages>;
}

/** Someone typing in a room, until a moment on the client's monotonic clock (`performance.now()`). */
export interface TypingEntry {
  user: User;
  until: number;
}

export interface TypingSlice {
  /** Per room, per user id: who is typing, until when. */
  byRoom: ReadonlyMap<string, ReadonlyMap<string, TypingEntry>>;
}

/** The rooms on the server (answers to `rooms`, a page at a time, in name order), for a room browser. */
export interface DirectorySlice {
  /** Every page received for `prefix`. */
  rooms: RoomSummary[];
  /** The search the list answers: rooms whose name starts with it ('' for all). */
  prefix: string;
  /** More rooms match after the last one: "Show more" asks for them. */
  hasMore: boolean;
  /** A `rooms` request is in flight. */
  loading: boolean;
  /** When the list was last answered (ms since epoch), or null if never. */
  updatedAt: number | null;
  /** Why the last request failed (an error code), until the next answer. */
  error: string | null;
}

/**
 * Where a room's list was read: at the newest message (`bottom`), or with
 * message `seq` the first one wholly in view, its top `offset` px below the
 * top of the view.
 */
export type ReadingPosition = { kind: 'bottom' } | { kind: 'at'; seq: number; offset: number };

export interface ReadingSlice {
  /** Per room; a room never scrolled has none (it opens at the newest message). */
  byRoom: ReadonlyMap<string, ReadingPosition>;
}

export interface ChatState {
  connection: ConnectionSlice;
  session: SessionSlice;
  rooms: RoomsSlice;
  messages: MessagesSlice;
  outbox: OutboxSlice;
  members: MembersSlice;
  typing: TypingSlice;
  directory: DirectorySlice;
  reading: ReadingSlice;
}

/** What a reducer returns: the slices that change, or null when nothing does. */
export type StatePatch = Partial<ChatState> | null;

export const OUTBOX_LIMIT = 500;
/** Messages kept per room in browser storage, so an offline reload shows the chat. */
export const STORED_MESSAGES_PER_ROOM = 200;

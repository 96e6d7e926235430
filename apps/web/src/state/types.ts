/**
 * The shape of the web app's state: written only by the client in src/net
 * (`ChatClient` and its parts), read by hooks (src/hooks) through narrow
 * selectors.
 * Types only: this file is the contract between the two sides.
 */
import type { Message, RoomSummary, User } from '@tether/protocol';

/** What the connection is doing, as the banner shows it. */
export type ConnectionStatus =
  | { kind: 'idle' } // no name chosen yet: nothing to connect
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; since: number }
  | { kind: 'reconnecting'; attempt: number; retryAt: number }
  | { kind: 'offline' } // the browser says it is offline
  | { kind: 'failed'; reason: string; code?: number }; // 1002/1003/1008/1009: reported, not retried

export interface ConnectionSlice {
  status: ConnectionStatus;
  /** Round trip of the last app-level ping, in ms. */
  rttMs: number | null;
}

export type NameError = 'name_taken' | 'invalid_name' | null;

export interface SessionSlice {
  /** Set after `welcome`; restored from storage before that. */
  user: User | null;
  /** The name the person asked for (kept while the hello is in flight). */
  pendingName: string | null;
  nameError: NameError;
  /**
   * The name to prefill the name picker with: the one that was refused
   * (`nameError`), or the saved one after the server forgot our token.
   */
  suggestedName: string | null;
}

export interface RoomView {
  name: string;
  epoch: string | null;
  /** Latest seq the server told us about (joined.seq, or the newest message). */
  seq: number;
  /** The server answered `joined` on the current connection. */
  joined: boolean;
  unread: number;
  /** Older messages than the first we hold exist on the server. */
  hasMore: boolean;
  loadingOlder: boolean;
  error: string | null;
}

export interface RoomsSlice {
  /** Rooms the person is in, in the order they joined them. */
  order: string[];
  byName: Record<string, RoomView>;
  current: string | null;
}

export interface MessagesSlice {
  /** Per room: messages keyed by seq (merge by seq, so a resend or resume never duplicates). */
  byRoom: Record<string, Record<number, Message>>;
}

export type OutboxState = 'sending' | 'failed';

export interface OutboxItem {
  /** The client-chosen id, reused on every resend. */
  id: string;
  room: string;
  text: string;
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

export interface MembersSlice {
  byRoom: Record<string, User[]>;
}

export interface TypingSlice {
  /** Per room: who is typing, until when (ms since epoch). */
  byRoom: Record<string, Record<string, { user: User; until: number }>>;
}

/** Every room on the server (the answer to `rooms`), for a room browser. */
export interface DirectorySlice {
  rooms: RoomSummary[];
  /** A `rooms` request is in flight. */
  loading: boolean;
  /** When the list was last answered (ms since epoch), or null if never. */
  updatedAt: number | null;
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
}

export const OUTBOX_LIMIT = 500;
/** Messages kept per room in browser storage, so an offline reload shows the chat. */
export const STORED_MESSAGES_PER_ROOM = 200;

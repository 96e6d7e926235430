/**
 * Limits, error codes and close codes of Tether protocol v1.
 *
 * This module has no runtime dependencies so that a browser bundle can import
 * the constants without pulling in the schema library.
 */

export const PROTOCOL_VERSION = 1;

/** Fixed limits of the protocol (docs/protocol.md, "Limits and defaults"). */
export const LIMITS = {
  /** Largest frame accepted, in bytes. Bigger frames close with 1009. */
  MAX_FRAME_BYTES: 65_536,
  /** Longest message text, in Unicode code points. */
  MAX_TEXT_CHARS: 4000,
  /** Longest user name after trimming, in code points. */
  MAX_NAME_CHARS: 32,
  /** Rooms one connection may be in at once. */
  MAX_ROOMS_PER_CONNECTION: 20,
  /** Messages in `joined` when the client does not resume. */
  JOIN_HISTORY: 50,
  /** Messages in `joined` when the client resumes with `since`. */
  RESUME_LIMIT: 500,
  /** Default and bounds of `history.limit`. */
  HISTORY_DEFAULT_LIMIT: 50,
  HISTORY_MAX_LIMIT: 100,
  /** Longest client message id. */
  MAX_MESSAGE_ID_CHARS: 64,
  /** Unsent bytes on one connection beyond which it is terminated. */
  SLOW_CONSUMER_BYTES: 4 * 1024 * 1024,
  /** How long a client shows a typing indicator after the last `typing`. */
  TYPING_DISPLAY_MS: 3000,
  /** At most one `typing` per user per room per this many ms is relayed. */
  TYPING_THROTTLE_MS: 1000,
  /**
   * The server may hold `presence`, `roster` and `typing` frames this long to
   * send them with others (never reordered). After a restart every member
   * of a room rejoins, and each join is a `presence` frame to every other:
   * at 25 ms, 2,000 clients in rooms of 200 cost 60,000–70,000 socket
   * writes in the bench's restart; at 200 ms, about 10,000.
   */
  PRESENCE_HOLD_MS: 200,
  /**
   * Most bytes of items (messages, rooms, members, as JSON) in one paged
   * answer (`joined`, `history`, `rooms`, `members`). An answer stops at
   * whichever comes first, this or its count, and says whether more exist;
   * one item always goes, however big. Well under SLOW_CONSUMER_BYTES, so a
   * legitimate question never gets a client cut off.
   */
  MAX_PAGE_BYTES: 512 * 1024,
  /**
   * While more than this many bytes to a connection are not yet sent, the
   * server takes no further request of that connection: a client that does
   * not read its answers waits instead of being cut off as a slow consumer.
   */
  ANSWER_BACKLOG_BYTES: 1024 * 1024,
  /** Default and largest `limit` of a `rooms` page. */
  ROOMS_PAGE_LIMIT: 100,
  /** Default and largest `limit` of a `members` page. */
  MEMBERS_PAGE_LIMIT: 100,
  /**
   * Members in the `joined` of a big room: the first by name, as many as a
   * member list shows at once. Thousands join a big room at once after a
   * restart: 20 keeps each answer near 1 KB; `members` pages the rest.
   */
  JOINED_MEMBERS_BIG_ROOM: 20,
  /** Longest `prefix` of `rooms` and `members`, in code points. */
  MAX_PREFIX_CHARS: 32,
  /**
   * A room with more members than this is big: its `joined` carries the first
   * page of members and the count, and presence reaches its members as a
   * `roster` count (at most one every ROSTER_INTERVAL_MS, and more seldom in
   * rooms of thousands) instead of a frame per join or leave.
   */
  SMALL_ROOM_MAX_MEMBERS: 500,
  /** A big room is small again at this many members or fewer (so it does not flip at the edge). */
  SMALL_AGAIN_MEMBERS: 400,
  /** Least time between two `roster` frames of one room. */
  ROSTER_INTERVAL_MS: 1000,
  /**
   * And at least this much per member: a `roster` is one frame to every
   * member, so a room's counts cost at most 1,000 frames a second whatever
   * its size (5,000 members: a count every 5 s).
   */
  ROSTER_INTERVAL_PER_MEMBER_MS: 1,
  /** Longest time a changed count waits for its `roster`. */
  ROSTER_MAX_INTERVAL_MS: 10_000,
  /** At most this many `typing` relays a second in one big room; the rest are dropped silently. */
  BIG_ROOM_TYPING_PER_SEC: 10,
  /** Abuse thresholds: beyond these within ABUSE_WINDOW_MS, close 1008. */
  ABUSE_WINDOW_MS: 60_000,
  MAX_BAD_REQUESTS_PER_WINDOW: 20,
  MAX_RATE_LIMITED_PER_WINDOW: 100,
  /** Different emoji one message may hold; a new one beyond is `too_many_reactions`. */
  MAX_REACTION_EMOJI: 20,
  /** Users listed per emoji in `reactions[].users` (the count stays exact). */
  MAX_REACTION_USERS: 50,
  /** Longest `emoji` of a `react`, in code points. */
  MAX_EMOJI_CHARS: 16,
  /** Code points of the replied-to text in `replyTo.text`. */
  REPLY_SNIPPET_CHARS: 100,
} as const;

/**
 * What this server can do beyond the first version 1, listed in
 * `welcome.features`: a client uses a request only when its feature is listed.
 */
export const FEATURES = {
  /** `edit`, `delete`, `react`, `send.replyTo`, `update` frames, `rev`. */
  CHANGES: 'changes',
} as const;

/** Client reconnect policy (docs/protocol.md, "Reconnect"). */
export const RECONNECT = {
  BASE_DELAY_MS: 500,
  MAX_DELAY_MS: 10_000,
  /** A connection that stayed up this long resets the attempt count. */
  RESET_AFTER_MS: 10_000,
  /** After a 1013 close the next attempt waits at least this long. */
  TRY_AGAIN_LATER_MIN_MS: 5000,
  /** After a restart hint, retry at its pace for at most this long, then back off as usual. */
  RESTART_PACE_MAX_MS: 30_000,
  /**
   * After a restart hint, an attempt that was refused (it came before the new
   * process was ready) tries again after this, doubling with each refusal
   * (±50 %, at most the hint's spread), instead of drawing a new spread.
   */
  RESTART_RETRY_STEP_MS: 250,
  /** While waiting to reconnect, ask GET /readyz at most this often. */
  READY_PROBE_INTERVAL_MS: 1000,
} as const;

export const ERROR_CODES = {
  BAD_REQUEST: 'bad_request',
  NOT_AUTHENTICATED: 'not_authenticated',
  UNSUPPORTED_VERSION: 'unsupported_version',
  INVALID_NAME: 'invalid_name',
  NAME_TAKEN: 'name_taken',
  INVALID_TOKEN: 'invalid_token',
  INVALID_ROOM: 'invalid_room',
  NOT_IN_ROOM: 'not_in_room',
  TOO_MANY_ROOMS: 'too_many_rooms',
  TEXT_TOO_LONG: 'text_too_long',
  EMPTY_TEXT: 'empty_text',
  RATE_LIMITED: 'rate_limited',
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  INVALID_REACTION: 'invalid_reaction',
  TOO_MANY_REACTIONS: 'too_many_reactions',
  INTERNAL: 'internal',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
  HELLO_TIMEOUT: 4408,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * Close codes a client must report to the user instead of retrying in a loop:
 * retrying would only repeat the same refusal.
 */
export const FATAL_CLOSE_CODES: readonly number[] = [
  CLOSE_CODES.PROTOCOL_ERROR,
  CLOSE_CODES.UNSUPPORTED_DATA,
  CLOSE_CODES.POLICY_VIOLATION,
  CLOSE_CODES.MESSAGE_TOO_BIG,
];

/** The WebSocket endpoint's path. */
export const WS_PATH = '/ws';

/**
 * Every string the UI shows, in English and Simplified Chinese. A plain typed
 * object instead of an i18n library: the app has a few dozen strings, and the
 * type of `en` makes a missing or misspelt key in `zhCN` a compile error.
 * Strings that take values are functions, so the compiler checks those too.
 */

export interface Messages {
  appName: string;
  tagline: string;

  // Name picker
  nameTitle: string;
  nameIntro: string;
  nameLabel: string;
  nameHint: string;
  nameSubmit: string;
  nameSubmitting: string;
  nameTaken: (name: string) => string;
  nameInvalid: string;
  /** A new user's hello beyond this network's budget; `minutes`: the server's wait, when it said. */
  nameRateLimited: (minutes: number | null) => string;

  // Changing one's name
  changeName: string;
  newName: string;
  saveName: string;
  savingName: string;
  cancel: string;
  /** A rename beyond the renames budget (20 an hour). */
  renameRateLimited: (minutes: number | null) => string;

  // Connection
  connected: string;
  connecting: string;
  reconnectingIn: (seconds: number) => string;
  reconnectingNow: string;
  restarting: string;
  offline: string;
  offlineHint: string;
  failed: (reason: string) => string;
  retryNow: string;
  queuedHint: string;
  rtt: (ms: number) => string;
  rttLabel: string;

  // Rooms
  rooms: string;
  roomName: string;
  roomPlaceholder: string;
  roomHint: string;
  joinRoom: string;
  unread: (n: number) => string;
  leaveRoom: (room: string) => string;
  noRooms: string;
  otherRooms: string;
  tooManyRooms: string;
  roomError: (room: string, code: string) => string;
  pickRoom: string;
  joinNamed: (room: string) => string;
  searchRooms: string;
  noRoomsMatch: (query: string) => string;
  showMoreRooms: string;

  // Members
  members: string;
  membersCount: (n: number) => string;
  membersShown: (shown: number, total: number) => string;
  searchMembers: string;
  noMembersMatch: (query: string) => string;
  showMoreMembers: string;
  you: string;

  // Pages (rooms, members)
  loadingMore: string;
  searching: string;
  loadFailed: (code: string) => string;

  // Messages
  messages: string;
  loadOlder: string;
  loadingOlder: string;
  beginning: (room: string) => string;
  empty: string;
  newMessages: (n: number) => string;
  jumpToLatest: string;
  sending: string;
  notSent: string;
  notSentReason: (code: string) => string;
  retry: string;
  discard: string;
  today: string;
  yesterday: string;

  // Changing messages
  reply: string;
  edit: string;
  delete: string;
  addReaction: string;
  /** The one button that holds a message's actions on a touch screen. */
  messageActions: string;
  editMessage: string;
  editHint: string;
  save: string;
  edited: string;
  messageDeleted: string;
  deleteTitle: string;
  deleteBody: string;
  replyingTo: (name: string) => string;
  cancelReply: string;
  /** A reply's quote of what it answers (the button that shows the original). */
  replyQuote: (name: string) => string;
  /** A reaction pill's name: the emoji and how many reacted with it. */
  reactionPill: (emoji: string, n: number) => string;
  whoReacted: (names: readonly string[], others: number, emoji: string) => string;
  moreEmoji: string;
  searchEmoji: string;
  noEmoji: string;
  emojiLoading: string;
  saving: string;
  /** A change of ours the server refused: what did not happen. */
  changeFailed: (kind: 'edit' | 'delete' | 'react') => string;

  // Composer
  message: string;
  messagePlaceholder: (room: string) => string;
  send: string;
  charsLeft: (n: number) => string;
  tooLong: (n: number) => string;
  outboxFull: string;
  notInRoom: string;
  composerHint: string;

  // Typing
  typing1: (a: string) => string;
  typing2: (a: string, b: string) => string;
  typingMany: (a: string, b: string, others: number) => string;

  // Layout
  openRooms: string;
  openMembers: string;
  close: string;
  signOut: string;
  signedInAs: (name: string) => string;
  skipToComposer: string;
  updateReady: string;
  reload: string;
  dismiss: string;
}

/** 5012 → "5,012". */
const count = (n: number): string => n.toLocaleString('en');
const minutes = (m: number): string => (m === 1 ? '1 minute' : `${m} minutes`);

// A Map: the code comes from the server, and `{}["constructor"]` is not a reason.
const errorReasonsEn: ReadonlyMap<string, string> = new Map([
  ['rate_limited', 'you are sending too fast'],
  ['text_too_long', 'the message is too long'],
  ['empty_text', 'the message is empty'],
  ['not_in_room', 'you are not in this room'],
  ['invalid_room', 'the room name is not valid'],
  ['not_found', 'the message is gone'],
  ['forbidden', 'only its author can do that'],
  ['invalid_reaction', 'that is not a reaction'],
  ['too_many_reactions', 'the message has too many different reactions'],
  ['bad_request', 'the server does not support it'],
]);

/** "alice", "alice and bob", "alice, bob and carol". */
function listEn(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

export const en: Messages = {
  appName: 'Tether',
  tagline: 'Realtime chat that keeps your messages, even when the network does not.',

  nameTitle: 'Welcome to Tether',
  nameIntro: 'Pick a name to start chatting. You will stay signed in on this device.',
  nameLabel: 'Your name',
  nameHint: 'Up to 32 characters. Other people will see it next to your messages.',
  nameSubmit: 'Join chat',
  nameSubmitting: 'Joining…',
  nameTaken: (name) =>
    `“${name}” is already taken by someone else. Names are unique: please pick another one.`,
  nameInvalid:
    'That name cannot be used. Use 1–32 characters that can be seen: no control, invisible or direction-changing characters.',
  nameRateLimited: (m) =>
    `Too many new people joined from your network just now. ${m === null ? 'Try again later.' : `Try again in about ${minutes(m)}.`}`,

  changeName: 'Change name',
  newName: 'New name',
  saveName: 'Save',
  savingName: 'Saving…',
  cancel: 'Cancel',
  renameRateLimited: (m) =>
    `Too many name changes. ${m === null ? 'Try again later.' : `You can change your name again in about ${minutes(m)}.`}`,

  connected: 'Connected',
  connecting: 'Connecting…',
  reconnectingIn: (s) => `Reconnecting in ${s} s`,
  reconnectingNow: 'Reconnecting…',
  restarting: 'Server restarting… reconnecting',
  offline: 'Offline',
  offlineHint: 'Your device is offline. Tether will reconnect when the network is back.',
  failed: (reason) => `Offline: the server closed the connection (${reason}). Reload the page to try again.`,
  retryNow: 'Retry now',
  queuedHint: 'Messages you write are kept and sent when the connection is back.',
  rtt: (ms) => `${ms} ms`,
  rttLabel: 'Round-trip time',

  rooms: 'Rooms',
  roomName: 'Room name',
  roomPlaceholder: 'new-room',
  roomHint: 'Lowercase letters, digits, “-” and “_”, up to 32.',
  joinRoom: 'Join room',
  unread: (n) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  leaveRoom: (room) => `Leave #${room}`,
  noRooms: 'You are not in any room yet.',
  otherRooms: 'More rooms',
  tooManyRooms: 'You are in as many rooms as you can be (20). Leave one to join another.',
  roomError: (room, code) =>
    code === 'too_many_rooms'
      ? `Could not join #${room}: you are in too many rooms.`
      : code === 'rate_limited'
        ? `Joining #${room} is taking a while: the server asked to slow down. Trying again…`
        : `Could not join #${room} (${code}).`,
  pickRoom: 'Join a room to start chatting.',
  joinNamed: (room) => `Join #${room}`,
  searchRooms: 'Search rooms',
  noRoomsMatch: (query) => `No room starts with “${query}”.`,
  showMoreRooms: 'Show more rooms',

  members: 'Members',
  membersCount: (n) => (n === 1 ? '1 member' : `${count(n)} members`),
  membersShown: (shown, total) => `Showing ${count(shown)} of ${count(total)} members`,
  searchMembers: 'Search members',
  noMembersMatch: (query) => `No member’s name starts with “${query}”.`,
  showMoreMembers: 'Show more members',
  you: 'you',

  loadingMore: 'Loading…',
  searching: 'Searching…',
  loadFailed: (code) =>
    code === 'rate_limited'
      ? 'The server is busy. Try again in a moment.'
      : `Could not load the list (${code}).`,

  messages: 'Messages',
  loadOlder: 'Load older messages',
  loadingOlder: 'Loading older messages…',
  beginning: (room) => `This is the beginning of #${room}.`,
  empty: 'No messages yet. Say hello!',
  newMessages: (n) => (n === 1 ? '1 new message' : `${n} new messages`),
  jumpToLatest: 'Jump to latest',
  sending: 'Sending…',
  notSent: 'Not sent',
  notSentReason: (code) => errorReasonsEn.get(code) ?? code,
  retry: 'Retry',
  discard: 'Delete',
  today: 'Today',
  yesterday: 'Yesterday',

  reply: 'Reply',
  edit: 'Edit',
  delete: 'Delete',
  addReaction: 'Add reaction',
  messageActions: 'Message actions',
  editMessage: 'Edit message',
  editHint: 'Enter to save, Esc to cancel',
  save: 'Save',
  edited: '(edited)',
  messageDeleted: 'Message deleted',
  deleteTitle: 'Delete message?',
  deleteBody: 'It will be deleted for everyone in the room. This cannot be undone.',
  replyingTo: (name) => `Replying to ${name}`,
  cancelReply: 'Cancel reply',
  replyQuote: (name) => `Reply to ${name}:`,
  reactionPill: (emoji, n) => `${emoji} ${count(n)}`,
  whoReacted: (names, others, emoji) =>
    `${listEn(others > 0 ? [...names, others === 1 ? '1 other' : `${count(others)} others`] : names)} reacted with ${emoji}`,
  moreEmoji: 'More emoji',
  searchEmoji: 'Search emoji',
  noEmoji: 'No emoji found',
  emojiLoading: 'Loading emoji…',
  saving: 'Saving…',
  changeFailed: (kind) =>
    kind === 'edit' ? 'Edit not saved' : kind === 'delete' ? 'Not deleted' : 'Reaction not saved',

  message: 'Message',
  messagePlaceholder: (room) => `Message #${room}`,
  send: 'Send',
  charsLeft: (n) => (n === 1 ? '1 character left' : `${n} characters left`),
  tooLong: (n) => (n === 1 ? '1 character too many' : `${n} characters too many`),
  outboxFull:
    'Too many messages are waiting to be sent. Wait until the connection is back, or delete some that were not sent.',
  notInRoom: 'You are not in this room any more. Join it again to send.',
  composerHint: 'Enter to send, Shift+Enter for a new line',

  typing1: (a) => `${a} is typing…`,
  typing2: (a, b) => `${a} and ${b} are typing…`,
  typingMany: (a, b, n) => `${a}, ${b} and ${n} ${n === 1 ? 'other' : 'others'} are typing…`,

  openRooms: 'Show rooms',
  openMembers: 'Show members',
  close: 'Close',
  signOut: 'Sign out',
  signedInAs: (name) => `Signed in as ${name}`,
  skipToComposer: 'Skip to message box',
  updateReady: 'A new version of Tether is ready.',
  reload: 'Reload',
  dismiss: 'Dismiss',
};

export { ChatClient, CLIENT_RECONNECT_CLOSE, DEFAULT_ROOM, TYPING_SEND_INTERVAL_MS } from './ChatClient';
export type { ChatClientOptions, JoinResult, SendResult, SetNameResult } from './ChatClient';
export { backoffDelay, reconnectDelay } from './backoff';
export { browserEnvironment, browserStorage, socketUrl } from './env';
export type {
  BrowserEnvironment,
  Clock,
  KeyValueStorage,
  SocketConstructor,
  SocketLike,
  Timers,
} from './env';
export { checkText, codePointLength, isValidRoomName, normaliseName } from './text';

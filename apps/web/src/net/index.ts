export { ChatClient, DEFAULT_ROOM } from './ChatClient';
export { TYPING_SEND_INTERVAL_MS } from './typing';
export type { JoinResult, SendResult, SetNameResult } from './ChatClient';
export { FALLBACK_SEND_LIMITS, HANDSHAKE_TIMEOUT_MS, RATE_LIMIT_RETRY_MS } from './options';
export type { ChatClientOptions, ReconnectingSocketOptions, SocketHandlers } from './options';
export { CLIENT_RECONNECT_CLOSE, ReconnectingSocket } from './socket';
export type { SocketPhase } from './socket';
export { backoffDelay, reconnectDelay } from './backoff';
export { browserEnvironment, browserStorage, socketUrl } from './env';
export type {
  BrowserEnvironment,
  Clock,
  KeyValueStorage,
  Logger,
  SocketConstructor,
  SocketLike,
  Timers,
} from './env';
export { checkText, codePointLength, isValidRoomName, normaliseName } from './text';

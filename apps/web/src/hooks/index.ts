export { ChatProvider, useChatClient } from './ChatProvider';
export { useChatConnection } from './useChatConnection';
export type { UseChatConnectionOptions } from './useChatConnection';
export {
  useChatState,
  useConnection,
  useCurrentRoom,
  useDirectory,
  useMembers,
  useMessages,
  useOutbox,
  useRooms,
  useSession,
  useTyping,
} from './selectors';
export type { RoomsView } from './selectors';
export type { MessageStatus, MessageView } from '../state/selectors';

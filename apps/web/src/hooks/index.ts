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
  useRoomMembers,
  useRooms,
  useSession,
  useTyping,
} from './selectors';
export type { RoomMembersView, RoomsView } from './selectors';
export type { MessageStatus, MessageView } from '../state/selectors';

/**
 * What a message row can ask for, given once to the whole list through a
 * context: the handlers are stable, so a row re-renders only when its own
 * props change (an update to one message re-renders that row alone).
 */
import type { ReplyRef } from '@tether/protocol';
import { createContext, useContext } from 'react';

export interface MessageHandlers {
  /** The server serves changes: the actions are offered only then. */
  changes: boolean;
  reply: (to: ReplyRef) => void;
  startEdit: (seq: number) => void;
  saveEdit: (seq: number, text: string) => void;
  cancelEdit: () => void;
  askDelete: (seq: number) => void;
  react: (seq: number, emoji: string, on: boolean) => void;
  /** Names for the users of a reaction, as far as the room's members tell them. */
  nameOf: (userId: string) => string | null;
  /** Scrolls to a message and highlights it, when it is loaded; false when it is not. */
  jumpTo: (seq: number) => boolean;
  retry: (id: string) => void;
  discard: (id: string) => void;
}

const ignore = () => undefined;

export const NO_HANDLERS: MessageHandlers = {
  changes: false,
  reply: ignore,
  startEdit: ignore,
  saveEdit: ignore,
  cancelEdit: ignore,
  askDelete: ignore,
  react: ignore,
  nameOf: () => null,
  jumpTo: () => false,
  retry: ignore,
  discard: ignore,
};

export const MessageHandlersContext = createContext<MessageHandlers>(NO_HANDLERS);

export function useMessageHandlers(): MessageHandlers {
  return useContext(MessageHandlersContext);
}

import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';

import type { ChatClient } from '../net/ChatClient';

const ChatContext = createContext<ChatClient | null>(null);

/** Makes one `ChatClient` (from `useChatConnection`) and its store available to the hooks below it. */
export function ChatProvider({ client, children }: { client: ChatClient; children: ReactNode }) {
  return <ChatContext value={client}>{children}</ChatContext>;
}

/** The app's client, for its methods (`send`, `join`, …). Throws outside a `ChatProvider`. */
export function useChatClient(): ChatClient {
  const client = useContext(ChatContext);
  if (!client) throw new Error('useChatClient: no <ChatProvider> above this component');
  return client;
}

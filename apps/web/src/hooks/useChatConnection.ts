import { useEffect, useState } from 'react';

import { ChatClient } from '../net/ChatClient';
import type { ChatClientOptions } from '../net/options';
import { socketUrl } from '../net/env';

export type UseChatConnectionOptions = Partial<ChatClientOptions>;

/**
 * Creates the app's one `ChatClient`, connects it while the component is
 * mounted and closes it on unmount. Options are read on the first render
 * only. The URL defaults to `ws(s)://<this host>/ws`.
 *
 * Under React StrictMode the client is started, stopped and started again;
 * `start` after `stop` is supported for that.
 */
export function useChatConnection(options: UseChatConnectionOptions = {}): ChatClient {
  const [client] = useState(
    () => new ChatClient({ ...options, url: options.url ?? socketUrl(window.location) }),
  );
  useEffect(() => {
    client.start();
    return () => {
      client.stop();
    };
  }, [client]);
  return client;
}

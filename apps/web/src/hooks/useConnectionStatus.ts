import { useEffect, useMemo, useSyncExternalStore } from 'react';

import { ConnectionMonitor } from '../net/ConnectionMonitor';
import type { ConnectionStatus } from '../net/ConnectionMonitor';

/** Whether the chat server at `url` can be reached, kept up to date. */
export function useConnectionStatus(url: string): ConnectionStatus {
  const monitor = useMemo(() => new ConnectionMonitor({ url }), [url]);
  useEffect(() => {
    monitor.start();
    return () => {
      monitor.stop();
    };
  }, [monitor]);
  return useSyncExternalStore(monitor.subscribe, monitor.getStatus);
}

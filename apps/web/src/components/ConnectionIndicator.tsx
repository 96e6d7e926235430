import type { ConnectionStatus } from '../net/ConnectionMonitor';

const LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  disconnected: 'Disconnected',
};

/** role="status" makes screen readers announce changes without moving focus. */
export function ConnectionIndicator({ status }: { status: ConnectionStatus }) {
  return (
    <p className="connection" data-status={status} role="status">
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[status]}
    </p>
  );
}

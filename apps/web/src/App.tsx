import { ConnectionIndicator } from './components/ConnectionIndicator';
import { useConnectionStatus } from './hooks/useConnectionStatus';
import { socketUrl } from './net/ConnectionMonitor';

export function App() {
  const status = useConnectionStatus(socketUrl(window.location));
  return (
    <main className="app">
      <header className="app-header">
        <h1>Tether</h1>
        <ConnectionIndicator status={status} />
      </header>
      <p>
        Tether is a realtime chat whose connections stay alive and whose messages are never lost. You pick a
        name, join rooms and talk; when your network drops, your laptop sleeps or the server restarts, Tether
        reconnects by itself, catches up on what you missed and delivers what you wrote in the meantime
        exactly once. The chat itself is still being built: for now this page only shows whether it can reach
        the server.
      </p>
    </main>
  );
}

/** SQLite as Tether's store: the embedded default, for one server process. */
import type { ChatStore } from '../chat/ports.js';
import { SqliteStore } from './store.js';

export { SqliteStore } from './store.js';

/** The store in the file at `databasePath` (created, with its folder, if missing), or `:memory:`. */
export function sqliteBackend(databasePath: string): { store: ChatStore } {
  return { store: new SqliteStore(databasePath) };
}

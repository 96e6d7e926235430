import { useEffect, useId, useState } from 'react';

import { useI18n } from '../i18n';
import { HashIcon } from './icons';

/** How long typing must pause before a search goes to the server. */
export const ROOM_SEARCH_DEBOUNCE_MS = 250;

export interface DirectoryProps {
  /** The rooms of the pages read so far, in name order. */
  rooms: readonly { name: string; members: number }[];
  /** More rooms match after the last one: "Show more rooms" asks for them. */
  hasMore?: boolean;
  /** A page is on its way. */
  loading?: boolean;
  /** Why the last page could not be read (an error code). */
  error?: string | null;
  /** Whether the server has answered at least once (until then there is nothing to say). */
  answered?: boolean;
  /** Asks for the first page of rooms whose name starts with the search (the client makes it a room-name prefix). */
  onSearch?: (text: string) => void;
  /** Asks for the next page (or the refused one again). */
  onMore?: () => void;
}

export interface RoomDirectoryProps extends DirectoryProps {
  /** Rooms the person is in: not offered again. */
  joined: ReadonlySet<string>;
  onJoin: (room: string) => void;
}

/**
 * "More rooms": the rooms on the server a page at a time, in name order, with
 * a search by name. Rooms the person is in are left out. Hidden while there
 * is nothing to offer and nothing searched.
 */
export function RoomDirectory({
  rooms,
  hasMore = false,
  loading = false,
  error = null,
  answered = true,
  onSearch,
  onMore,
  joined,
  onJoin,
}: RoomDirectoryProps) {
  const { t, locale } = useI18n();
  const headingId = useId();
  const [search, setSearch] = useState('');
  const query = search.trim();

  // The client ignores a search for what it lists already ('' at first: its own refresh asks that).
  useEffect(() => {
    const timer = setTimeout(() => onSearch?.(query), query === '' ? 0 : ROOM_SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [onSearch, query]);

  const others = rooms.filter((r) => !joined.has(r.name));
  if (others.length === 0 && query === '' && !hasMore && error === null) return null;
  const failed = error !== null && !loading;

  return (
    <section className="directory" aria-labelledby={headingId} aria-busy={loading || undefined}>
      <h3 className="panel-subtitle" id={headingId}>
        {t.otherRooms}
      </h3>
      <div className="panel-search">
        <input
          className="text-input search-input"
          type="search"
          aria-label={t.searchRooms}
          placeholder={t.searchRooms}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={40}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {others.length > 0 && (
        <ul className="room-list room-list-other" aria-labelledby={headingId}>
          {others.map((r) => (
            <li key={r.name} className="room-item">
              <button
                type="button"
                className="room-button"
                aria-label={t.joinNamed(r.name)}
                onClick={() => onJoin(r.name)}
              >
                <HashIcon size={16} />
                <bdi className="room-name">{r.name}</bdi>
                {r.members > 0 && (
                  <span className="room-count" aria-hidden="true">
                    {r.members.toLocaleString(locale)}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
      {others.length === 0 && query !== '' && answered && !loading && !hasMore && (
        <p className="panel-empty" role="status">
          {t.noRoomsMatch(query)}
        </p>
      )}
      {failed && (
        <p className="panel-error" role="alert">
          {t.loadFailed(error)}
        </p>
      )}
      {(hasMore || failed) && onMore && (
        <div className="panel-more">
          <button type="button" className="button button-ghost" onClick={onMore} disabled={loading}>
            {loading && <span className="spinner" aria-hidden="true" />}
            {loading ? t.loadingMore : failed ? t.retry : t.showMoreRooms}
          </button>
        </div>
      )}
    </section>
  );
}

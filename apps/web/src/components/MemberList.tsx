import { foldName } from '@tether/protocol/rules';
import { useEffect, useId, useState } from 'react';

import type { User } from '@tether/protocol';

import { useI18n } from '../i18n';
import { memberPrefix } from '../net/memberPager';
import { Avatar } from './Avatar';
import { displayName } from './bidi';

/** How long typing must pause before a big room's search goes to the server. */
export const MEMBER_SEARCH_DEBOUNCE_MS = 250;

export interface MemberListProps {
  /**
   * A small room: every member. A big room: the pages read so far for the
   * current search (before the first, the page `joined` gave).
   */
  members: readonly User[];
  /** How many members the room has. @default members.length */
  count?: number;
  /**
   * Whether `members` is every member (a small room): the search then filters
   * here. False in a big room: the search and "Show more" ask the server.
   * @default true
   */
  complete?: boolean;
  selfId: string | null;
  /** A big room: more members match after the last one shown. */
  hasMore?: boolean;
  /** A big room: the search the pages shown answer (until a new one is answered, "Show more" would page the old one). */
  pagesPrefix?: string;
  /** A big room: a page is on its way. */
  loading?: boolean;
  /** A big room: why the last page could not be read (an error code). */
  error?: string | null;
  /**
   * A big room: asks for the first page of members whose name starts with the
   * search ('' for all). Called when the panel shows a big room (again, when
   * `live` turns true after a reconnect) and when the search changes.
   */
  onSearch?: (prefix: string) => void;
  /** A big room: asks for the next page. */
  onMore?: () => void;
  /** The room is joined on the current connection, so the server can be asked. @default true */
  live?: boolean;
}

/** Whether a name starts with what was typed, compared as the server compares names (case and width folded). */
function matches(name: string, search: string): boolean {
  return search === '' || foldName(name).startsWith(foldName(search));
}

/**
 * The room's members. A small room lists everyone, you first, and the search
 * filters that list. A big room (docs/protocol.md, "Big rooms") lists the
 * members a page at a time in name order, says how many there are in all,
 * and searches on the server.
 */
export function MemberList({
  members,
  count = members.length,
  complete = true,
  selfId,
  hasMore = false,
  pagesPrefix,
  loading = false,
  error = null,
  onSearch,
  onMore,
  live = true,
}: MemberListProps) {
  const { t, locale } = useI18n();
  const titleId = useId();
  const summaryId = useId();
  const [search, setSearch] = useState('');
  const query = search.trimStart();

  // A big room asks the server: at once for everyone, after a pause in typing for a search.
  useEffect(() => {
    if (complete || !live || !onSearch) return;
    const timer = setTimeout(() => onSearch(query), query === '' ? 0 : MEMBER_SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [complete, live, onSearch, query]);

  // Filtered here in both cases: in a big room, until the server's answer
  // comes, what is shown is the page of an earlier search.
  const shown = members.filter((m) => matches(m.name, query));
  // A small room: you first, then everyone by name as this language sorts
  // names. A big room keeps the server's name order, page after page.
  if (complete) {
    shown.sort((a, b) => {
      if (a.id === selfId) return -1;
      if (b.id === selfId) return 1;
      return a.name.localeCompare(b.name, locale, { sensitivity: 'base' });
    });
  }
  const searchingNow = !complete && loading && shown.length === 0;
  const stale = pagesPrefix !== undefined && pagesPrefix !== memberPrefix(query);

  return (
    <section className="members" aria-labelledby={titleId} aria-busy={loading || undefined}>
      <h2 className="panel-title" id={titleId}>
        {t.members}
        <span className="panel-count">{count.toLocaleString(locale)}</span>
      </h2>
      <div className="panel-search">
        <input
          className="text-input search-input"
          type="search"
          aria-label={t.searchMembers}
          placeholder={t.searchMembers}
          autoComplete="off"
          spellCheck={false}
          maxLength={64}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-describedby={complete ? undefined : summaryId}
        />
      </div>
      {!complete && (
        // Read out when a page or a search result arrives.
        <p className="panel-summary" id={summaryId} aria-live="polite">
          {searchingNow ? t.searching : t.membersShown(shown.length, count)}
        </p>
      )}
      <ul className="member-list" aria-label={t.members}>
        {shown.map((m) => (
          <li key={m.id} className="member">
            <span className="member-avatar">
              <Avatar id={m.id} name={m.name} size="sm" />
              <span className="presence-dot" aria-hidden="true" />
            </span>
            <bdi className="member-name">{displayName(m.name)}</bdi>
            {m.id === selfId && <span className="member-you">({t.you})</span>}
          </li>
        ))}
      </ul>
      {shown.length === 0 && query !== '' && !searchingNow && (
        <p className="panel-empty">{t.noMembersMatch(query)}</p>
      )}
      {error !== null && !loading && (
        <p className="panel-error" role="alert">
          {t.loadFailed(error)}
        </p>
      )}
      {!complete && !stale && (hasMore || (error !== null && !loading)) && onMore && (
        <div className="panel-more">
          <button type="button" className="button button-ghost" onClick={onMore} disabled={loading}>
            {loading && <span className="spinner" aria-hidden="true" />}
            {loading ? t.loadingMore : error !== null ? t.retry : t.showMoreMembers}
          </button>
        </div>
      )}
    </section>
  );
}

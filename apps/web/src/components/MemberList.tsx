import { useId } from 'react';

import type { User } from '@tether/protocol';

import { useI18n } from '../i18n';
import { Avatar } from './Avatar';

export interface MemberListProps {
  members: readonly User[];
  selfId: string | null;
}

export function MemberList({ members, selfId }: MemberListProps) {
  const { t, locale } = useI18n();
  const titleId = useId();
  // You first, then everyone by name as this language sorts names.
  const sorted = [...members].sort((a, b) => {
    if (a.id === selfId) return -1;
    if (b.id === selfId) return 1;
    return a.name.localeCompare(b.name, locale, { sensitivity: 'base' });
  });
  return (
    <section className="members" aria-labelledby={titleId}>
      <h2 className="panel-title" id={titleId}>
        {t.members}
        <span className="panel-count">{members.length}</span>
      </h2>
      <ul className="member-list" aria-label={t.members}>
        {sorted.map((m) => (
          <li key={m.id} className="member">
            <span className="member-avatar">
              <Avatar id={m.id} name={m.name} size="sm" />
              <span className="presence-dot" aria-hidden="true" />
            </span>
            <span className="member-name">{m.name}</span>
            {m.id === selfId && <span className="member-you">({t.you})</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

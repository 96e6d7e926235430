import type { User } from '@tether/protocol';

import { useI18n } from '../i18n';
import { Avatar } from './Avatar';
import { displayName, isolatedName } from './bidi';
import { LogOutIcon } from './icons';

/** Who is signed in, and the way out. */
export function UserPanel({ user, onSignOut }: { user: User; onSignOut: () => void }) {
  const { t } = useI18n();
  return (
    <div className="user-panel">
      <Avatar id={user.id} name={user.name} />
      <span className="user-name" title={t.signedInAs(isolatedName(user.name))}>
        <span className="sr-only">{t.signedInAs('')}</span>
        <bdi>{displayName(user.name)}</bdi>
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t.signOut}
        title={t.signOut}
        onClick={onSignOut}
      >
        <LogOutIcon />
      </button>
    </div>
  );
}

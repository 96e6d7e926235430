import type { User } from '@tether/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import type { SubmitEvent } from 'react';

import { useI18n } from '../i18n';
import type { NameError } from '../state/types';
import { Avatar } from './Avatar';
import { displayName, isolatedName } from './bidi';
import { waitMinutes } from './format';
import { LogOutIcon, PencilIcon } from './icons';

export interface UserPanelProps {
  user: User;
  onSignOut: () => void;
  /** Asks for another name (a new connection says hello with it); not given: no way to change it here. */
  onRename?: (name: string) => void;
  /** The form opened: a chance to fetch what checking a name needs. */
  onRenameStart?: () => void;
  /** A rename is on its way. */
  pending?: boolean;
  /** Why the last rename was refused (the server's code), until the next one. */
  error?: NameError;
  /** With `error` 'rate_limited': how long the server said to wait (ms). */
  errorWaitMs?: number | null;
  /** The name that was refused, to show again in the box. */
  refusedName?: string | null;
}

/** Who is signed in, a way to change that name, and the way out. */
export function UserPanel({
  user,
  onSignOut,
  onRename,
  onRenameStart,
  pending = false,
  error = null,
  errorWaitMs = null,
  refusedName = null,
}: UserPanelProps) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  // Closed by the person (Cancel, Escape, a name saved): focus goes back to the button that opened it.
  const [refocus, setRefocus] = useState(false);
  const errorId = useId();

  // The rename went through: the user now holds the name asked for.
  if (editing && asked !== null && !pending && error === null && user.name === asked) {
    setRefocus(true);
    setEditing(false);
    setAsked(null);
  }

  useEffect(() => {
    if (!editing) {
      if (refocus) editButton.current?.focus();
      return;
    }
    inputRef.current?.focus();
    inputRef.current?.select();
  }, [editing, error, refocus]);

  const close = () => {
    setRefocus(true);
    setEditing(false);
  };

  const open = () => {
    setDraft(error !== null && refusedName !== null ? refusedName : user.name);
    setAsked(null);
    setRefocus(false);
    setEditing(true);
    onRenameStart?.();
  };

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = draft.trim();
    if (name === '' || name === user.name) {
      close();
      return;
    }
    setAsked(name);
    onRename?.(name);
  };

  const message =
    error === 'name_taken'
      ? t.nameTaken(isolatedName(refusedName ?? draft.trim()))
      : error === 'invalid_name'
        ? t.nameInvalid
        : error === 'rate_limited'
          ? t.renameRateLimited(waitMinutes(errorWaitMs))
          : null;
  // A refusal is shown under the form it answers; one from another tab's
  // attempt is not this panel's business until it is opened.
  const showError = editing && !pending && message !== null;

  if (editing) {
    return (
      <form className="user-panel user-panel-edit" onSubmit={submit} noValidate>
        <input
          ref={inputRef}
          className="text-input"
          aria-label={t.newName}
          autoComplete="nickname"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={64}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }}
          aria-invalid={showError}
          aria-describedby={showError ? errorId : undefined}
        />
        {showError && (
          <p id={errorId} className="field-error" role="alert">
            {message}
          </p>
        )}
        <div className="user-panel-actions">
          <button type="button" className="button button-ghost" onClick={close}>
            {t.cancel}
          </button>
          <button type="submit" className="button button-primary" aria-busy={pending}>
            {pending && <span className="spinner" aria-hidden="true" />}
            {pending ? t.savingName : t.saveName}
          </button>
        </div>
      </form>
    );
  }

  return (
    <div className="user-panel">
      <Avatar id={user.id} name={user.name} />
      <span className="user-name" title={t.signedInAs(isolatedName(user.name))}>
        <span className="sr-only">{t.signedInAs('')}</span>
        <bdi>{displayName(user.name)}</bdi>
      </span>
      {onRename && (
        <button
          ref={editButton}
          type="button"
          className="icon-button"
          aria-label={t.changeName}
          title={t.changeName}
          onClick={open}
        >
          <PencilIcon />
        </button>
      )}
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

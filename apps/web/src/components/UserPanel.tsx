import type { User } from '@tether/protocol';
import { useEffect, useRef, useState } from 'react';

import { useI18n } from '../i18n';
import type { NameError } from '../state/types';
import { Avatar } from './Avatar';
import { displayName, isolatedName } from './bidi';
import { LogOutIcon, PencilIcon } from './icons';
import type { RenameForm } from './RenameForm';

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

type Form = typeof RenameForm;

/** The form is a chunk of its own; a failed fetch is tried again on the next click. */
let loadingForm: Promise<Form> | null = null;
function loadForm(): Promise<Form> {
  loadingForm ??= import('./RenameForm').then(
    (module) => module.RenameForm,
    (error: unknown) => {
      loadingForm = null;
      throw error;
    },
  );
  return loadingForm;
}
function preloadForm(): void {
  loadForm().catch(() => undefined);
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
  // The form, once its chunk is here, and the name it opens with; null: closed.
  const [open, setOpen] = useState<{ Form: Form; initialName: string } | null>(null);
  const [asked, setAsked] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  // Closed by the person (Cancel, Escape, a name saved): focus goes back to the button that opened it.
  const [refocus, setRefocus] = useState(false);

  // The rename went through: the user now holds the name asked for.
  if (open && asked !== null && !pending && error === null && user.name === asked) {
    setRefocus(true);
    setOpen(null);
    setAsked(null);
  }

  useEffect(() => {
    if (!open && refocus) editButton.current?.focus();
  }, [open, refocus]);

  const close = () => {
    setRefocus(true);
    setOpen(null);
  };

  const start = () => {
    const initialName = error !== null && refusedName !== null ? refusedName : user.name;
    onRenameStart?.();
    loadForm().then(
      (Form) => {
        setAsked(null);
        setRefocus(false);
        setOpen({ Form, initialName });
      },
      // Offline before the chunk was cached: the button works once it can be fetched.
      (reason: unknown) => console.warn('tether: the rename form could not be loaded', reason),
    );
  };

  if (open) {
    return (
      <open.Form
        initialName={open.initialName}
        currentName={user.name}
        pending={pending}
        error={error}
        errorWaitMs={errorWaitMs}
        refusedName={refusedName}
        onSubmit={(name) => {
          setAsked(name);
          onRename?.(name);
        }}
        onClose={close}
      />
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
          // Fetched on the way to a click, so the form opens at once.
          onPointerEnter={preloadForm}
          onFocus={preloadForm}
          onClick={start}
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

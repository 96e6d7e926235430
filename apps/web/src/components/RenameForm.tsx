import { useEffect, useId, useRef, useState } from 'react';
import type { SubmitEvent } from 'react';

import { useI18n } from '../i18n';
import type { NameError } from '../state/types';
import { isolatedName } from './bidi';
import { waitMinutes } from './format';

export interface RenameFormProps {
  /** The name in the box when the form opens. */
  initialName: string;
  /** The name the user holds now: submitting it again just closes the form. */
  currentName: string;
  /** A rename is on its way. */
  pending: boolean;
  /** Why the last rename was refused (the server's code), until the next one. */
  error: NameError;
  /** With `error` 'rate_limited': how long the server said to wait (ms). */
  errorWaitMs: number | null;
  /** The name that was refused, for the message. */
  refusedName: string | null;
  /** Asks for `name` (trimmed, and not the current one). */
  onSubmit: (name: string) => void;
  onClose: () => void;
}

/**
 * The user panel's form for another name. A chunk of its own (UserPanel
 * loads it when the form is first opened): most sessions never change a name.
 */
export function RenameForm({
  initialName,
  currentName,
  pending,
  error,
  errorWaitMs,
  refusedName,
  onSubmit,
  onClose,
}: RenameFormProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(initialName);
  const inputRef = useRef<HTMLInputElement>(null);
  const errorId = useId();

  // On opening, and again when a refusal comes: the box, selected.
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, [error]);

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = draft.trim();
    if (name === '' || name === currentName) onClose();
    else onSubmit(name);
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
  // attempt is not this form's business until it is opened.
  const showError = !pending && message !== null;

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
            onClose();
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
        <button type="button" className="button button-ghost" onClick={onClose}>
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

import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode, SubmitEvent } from 'react';

import type { NameError } from '../state/types';
import { useI18n } from '../i18n';
import { isolatedName } from './bidi';
import { waitMinutes } from './format';
import { LogoMark } from './icons';

export interface NamePickerProps {
  /** Called with the trimmed name. */
  onSubmit: (name: string) => void;
  /** Why the last name was refused, if it was. */
  error: NameError;
  /** With `error` 'rate_limited': how long the server said to wait (ms). */
  errorWaitMs?: number | null;
  /** The name that was asked for (shown again after a refusal). */
  initialName?: string;
  /** A `hello` with this name is in flight. */
  pending?: boolean;
  /** The connection's status, shown under the form while a name is on its way. */
  status?: ReactNode;
}

const MAX_NAME = 32;

export function NamePicker({
  onSubmit,
  error,
  errorWaitMs = null,
  initialName = '',
  pending = false,
  status,
}: NamePickerProps) {
  const { t } = useI18n();
  const [name, setName] = useState(initialName);
  // The name that the current error is about: editing it clears the error's
  // wording so it never describes a name no longer in the box.
  const [refused, setRefused] = useState(initialName);
  const inputRef = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const errorId = useId();
  const inputId = useId();

  useEffect(() => {
    inputRef.current?.focus();
    if (error) inputRef.current?.select();
  }, [error]);

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      inputRef.current?.focus();
      return;
    }
    setRefused(trimmed);
    onSubmit(trimmed);
  };

  const showError = error !== null && !pending;
  const message =
    error === 'name_taken'
      ? t.nameTaken(isolatedName(refused || name.trim()))
      : error === 'invalid_name'
        ? t.nameInvalid
        : error === 'rate_limited'
          ? t.nameRateLimited(waitMinutes(errorWaitMs))
          : '';

  return (
    <main className="welcome">
      <div className="welcome-card">
        <div className="welcome-brand">
          <LogoMark size={40} />
          <span className="welcome-app">{t.appName}</span>
        </div>
        <h1 className="welcome-title">{t.nameTitle}</h1>
        <p className="welcome-intro">{t.nameIntro}</p>
        <form className="welcome-form" onSubmit={submit} noValidate>
          <label className="field-label" htmlFor={inputId}>
            {t.nameLabel}
          </label>
          <input
            ref={inputRef}
            id={inputId}
            className="text-input"
            name="name"
            type="text"
            autoComplete="nickname"
            autoCapitalize="off"
            spellCheck={false}
            maxLength={MAX_NAME * 2}
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={showError}
            aria-describedby={showError ? `${errorId} ${hintId}` : hintId}
          />
          <p id={hintId} className="field-hint">
            {t.nameHint}
          </p>
          {showError && (
            <p id={errorId} className="field-error" role="alert">
              {message}
            </p>
          )}
          <button className="button button-primary button-block" type="submit" aria-busy={pending}>
            {pending && <span className="spinner" aria-hidden="true" />}
            {t.nameSubmit}
          </button>
        </form>
        {status && <div className="welcome-status">{status}</div>}
      </div>
      <p className="welcome-tagline">{t.tagline}</p>
    </main>
  );
}

import { LIMITS } from '@tether/protocol/constants';
import { codePointLength } from '@tether/protocol/rules';
import { useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';

import { useI18n } from '../../i18n';

/**
 * A message's text edited in place: Enter saves, Shift+Enter adds a line,
 * Esc cancels. Saving the text unchanged or empty saves nothing (an empty
 * message is deleted with Delete, not by editing it away).
 */
export function MessageEditor({
  text,
  onSave,
  onCancel,
}: {
  text: string;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [value, setValue] = useState(text);
  const ref = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);
  const over = codePointLength(value) > LIMITS.MAX_TEXT_CHARS;
  const empty = value.trim().length === 0;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [value]);

  const save = () => {
    if (empty || over) return;
    if (value === text) onCancel();
    else onSave(value);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      // The list's drawer handler must not see it too.
      e.stopPropagation();
      e.preventDefault();
      onCancel();
      return;
    }
    // As in the composer: Enter while an IME composes picks a candidate.
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing || composing.current) return;
    e.preventDefault();
    save();
  };

  return (
    <div className="msg-editor">
      <textarea
        ref={ref}
        className="msg-editor-input"
        aria-label={t.editMessage}
        value={value}
        rows={1}
        aria-invalid={over}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={onKeyDown}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={() => {
          setTimeout(() => {
            composing.current = false;
          }, 0);
        }}
      />
      <div className="msg-editor-bar">
        <span className="msg-editor-hint">{t.editHint}</span>
        <button type="button" className="button button-ghost button-sm" onClick={onCancel}>
          {t.cancel}
        </button>
        <button
          type="button"
          className="button button-primary button-sm"
          onClick={save}
          disabled={empty || over}
        >
          {t.save}
        </button>
      </div>
    </div>
  );
}

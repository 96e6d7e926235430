import { useEffect, useId, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';

import { useI18n } from '../../i18n';

/**
 * "Delete message?" before a delete, which cannot be undone. Modal: focus
 * starts on Cancel (the safe answer), Tab stays inside, Esc and the
 * backdrop cancel, and focus goes back where it was.
 */
export function DeleteDialog({ onConfirm, onCancel }: { onConfirm: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const titleId = useId();
  const bodyId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const before = document.activeElement;
    cancelRef.current?.focus();
    return () => {
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Tab') {
      e.preventDefault();
      const next = document.activeElement === cancelRef.current ? confirmRef.current : cancelRef.current;
      next?.focus();
    }
  };

  return createPortal(
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id={titleId} className="modal-title">
          {t.deleteTitle}
        </h2>
        <p id={bodyId} className="modal-body">
          {t.deleteBody}
        </p>
        <div className="modal-actions">
          <button ref={cancelRef} type="button" className="button button-ghost" onClick={onCancel}>
            {t.cancel}
          </button>
          <button ref={confirmRef} type="button" className="button button-danger" onClick={onConfirm}>
            {t.delete}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}

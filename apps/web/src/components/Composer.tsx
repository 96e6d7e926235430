import { LIMITS } from '@tether/protocol/constants';
import { codePointLength } from '@tether/protocol/rules';
import { Suspense, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent, SubmitEvent } from 'react';

import type { ReplyRef } from '@tether/protocol';

import { useI18n } from '../i18n';
import type { SendResult } from '../net/ChatClient';
import { loadDraft, saveDraft } from './drafts';
import { SendIcon } from './icons';
import { ReplyPreview } from './message/tools';

export interface ComposerProps {
  room: string;
  onSend: (text: string) => SendResult;
  /** Someone is typing here; called at most every `TYPING_EVERY_MS`. */
  onTyping?: () => void;
  autoFocus?: boolean;
  /** For the pace of typing signals, a duration: monotonic. @default performance.now */
  now?: () => number;
  /** The message the next send answers ("Replying to NAME"). @default null */
  replyTo?: ReplyRef | null;
  onCancelReply?: () => void;
  /** Up arrow in an empty composer: edit our last message. Returns whether there was one. */
  onEditLast?: () => boolean;
}

/** The counter appears this close to the limit. */
export const COUNTER_FROM = LIMITS.MAX_TEXT_CHARS - 500;
/**
 * Others show "typing" for 3 s after the last signal; the client sends at
 * most one per 2 s, so asking every second keeps the signal continuous.
 */
const TYPING_EVERY_MS = 1000;
const MAX_HEIGHT_PX = 200;
const monotonicNow = (): number => performance.now();

/**
 * Enter sends, Shift+Enter adds a line. Stays editable whatever the
 * connection does: `onSend` queues while offline. Drafts are kept per room.
 * Remount it per room (`key={room}`) so each room's draft loads cleanly.
 */
export function Composer({
  room,
  onSend,
  onTyping,
  autoFocus = false,
  now = monotonicNow,
  replyTo = null,
  onCancelReply,
  onEditLast,
}: ComposerProps) {
  const { t } = useI18n();
  const [text, setText] = useState(() => loadDraft(room));
  const [problem, setProblem] = useState<'full' | 'not_in_room' | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(Number.NEGATIVE_INFINITY);
  const composing = useRef(false);
  const counterId = useId();
  const hintId = useId();

  const length = codePointLength(text);
  const over = length - LIMITS.MAX_TEXT_CHARS;
  const empty = text.trim().length === 0;

  useEffect(() => {
    if (autoFocus) ref.current?.focus();
  }, [autoFocus]);

  useEffect(() => {
    saveDraft(room, text);
  }, [room, text]);

  // Choosing Reply on a message is choosing to write: the cursor comes here.
  const replySeq = replyTo?.seq ?? null;
  useEffect(() => {
    if (replySeq !== null) ref.current?.focus();
  }, [replySeq]);

  // Grow with the text up to a limit, then scroll: a textarea has no
  // content-based height in every browser yet (`field-sizing` is Chromium only).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [text]);

  const send = () => {
    if (empty || over > 0) return;
    const result = onSend(text);
    if (result.ok) {
      setText('');
      setProblem(null);
      lastTyping.current = Number.NEGATIVE_INFINITY;
    } else if (result.reason === 'full' || result.reason === 'not_in_room') {
      setProblem(result.reason);
    }
    ref.current?.focus();
  };

  const onSubmit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    send();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape' && replyTo && onCancelReply) {
      e.preventDefault();
      onCancelReply();
      return;
    }
    if (e.key === 'ArrowUp' && text === '' && !e.shiftKey && onEditLast?.()) {
      e.preventDefault();
      return;
    }
    // While an IME composes (Chinese, Japanese…), Enter picks a candidate; it
    // must not send. Safari ends the composition before that keydown, so
    // `isComposing` is already false there: `composing` lags it by a task.
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing || composing.current) return;
    e.preventDefault();
    send();
  };

  const onChange = (value: string) => {
    setText(value);
    if (problem) setProblem(null);
    if (onTyping && value.trim()) {
      const at = now();
      if (at - lastTyping.current >= TYPING_EVERY_MS) {
        lastTyping.current = at;
        onTyping();
      }
    }
  };

  const showCounter = length >= COUNTER_FROM;
  const describedBy = [hintId, showCounter ? counterId : null].filter(Boolean).join(' ');

  return (
    <form className="composer" onSubmit={onSubmit}>
      {problem && (
        <p className="composer-alert" role="alert">
          {problem === 'full' ? t.outboxFull : t.notInRoom}
        </p>
      )}
      {replyTo && (
        <Suspense fallback={null}>
          <ReplyPreview
            replyTo={replyTo}
            onCancel={() => {
              onCancelReply?.();
              ref.current?.focus();
            }}
          />
        </Suspense>
      )}
      <div className="composer-box" data-over={over > 0 || undefined}>
        <textarea
          ref={ref}
          id="composer-input"
          className="composer-input"
          aria-label={t.message}
          placeholder={t.messagePlaceholder(room)}
          rows={1}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          onCompositionStart={() => {
            composing.current = true;
          }}
          onCompositionEnd={() => {
            setTimeout(() => {
              composing.current = false;
            }, 0);
          }}
          aria-describedby={describedBy}
          aria-invalid={over > 0}
          enterKeyHint="send"
        />
        <button
          type="submit"
          className="button button-primary composer-send"
          disabled={empty || over > 0}
          aria-label={t.send}
          title={t.send}
        >
          <SendIcon />
        </button>
      </div>
      <div className="composer-meta">
        <span id={hintId} className="composer-hint">
          {t.composerHint}
        </span>
        {showCounter && (
          <span
            id={counterId}
            className="composer-counter"
            data-over={over > 0 || undefined}
            aria-live="polite"
          >
            {over > 0 ? t.tooLong(over) : t.charsLeft(-over)}
          </span>
        )}
      </div>
    </form>
  );
}

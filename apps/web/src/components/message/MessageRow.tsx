import { memo, Suspense, useRef, useState } from 'react';
import type { PointerEvent } from 'react';

import type { Messages } from '../../i18n';
import type { MessageView } from '../../state/selectors';
import { Avatar } from '../Avatar';
import { displayName } from '../bidi';
import { formatFull, formatTime } from '../format';
import { AlertIcon, ClockIcon } from '../icons';
import { isEmojiOnly, MessageText } from '../MessageText';
import { useMessageHandlers } from './context';
import { Reactions } from './Reactions';
import { ChangeFailed, MessageActions, MessageEditor } from './tools';
import './message.css';

export interface MessageRowProps {
  entry: MessageView;
  showHeader: boolean;
  dayLabel: string | null;
  locale: string;
  t: Messages;
  /** This message is being edited in place. */
  editing: boolean;
  /** Just jumped to from a reply: drawn out for a moment. */
  highlighted: boolean;
}

/** How long a press on a touch screen is held to open the message's actions. */
const LONG_PRESS_MS = 500;

/**
 * One message. Memoised, and every handler comes from a stable context: a
 * row re-renders only when its own message, place or state changes.
 */
export const MessageRow = memo(function MessageRow({
  entry,
  showHeader,
  dayLabel,
  locale,
  t,
  editing,
  highlighted,
}: MessageRowProps) {
  const handlers = useMessageHandlers();
  const [menuOpen, setMenuOpen] = useState(false);
  const press = useRef<ReturnType<typeof setTimeout> | null>(null);
  const time = formatTime(entry.ts, locale);
  const { own, seq, deleted } = entry;
  const actionable = handlers.changes && seq !== null && !deleted && !editing;

  const endPress = () => {
    if (press.current !== null) clearTimeout(press.current);
    press.current = null;
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.pointerType !== 'touch' || !actionable) return;
    endPress();
    press.current = setTimeout(() => setMenuOpen(true), LONG_PRESS_MS);
  };

  const edited =
    entry.edited !== undefined && !deleted ? (
      <span className="msg-edited" title={formatFull(entry.edited, locale)}>
        {t.edited}
      </span>
    ) : null;

  return (
    <>
      {dayLabel && (
        <div className="day-divider" role="separator">
          <span>{dayLabel}</span>
        </div>
      )}
      <div
        className="msg"
        data-own={own || undefined}
        data-first={showHeader || undefined}
        data-status={entry.status}
        data-highlight={highlighted || undefined}
        data-menu={menuOpen || undefined}
        onPointerDown={onPointerDown}
        onPointerUp={endPress}
        onPointerCancel={endPress}
        onPointerMove={(e) => {
          if (e.pointerType === 'touch') endPress();
        }}
      >
        {!own && (
          <div className="msg-gutter">
            {showHeader ? (
              <Avatar id={entry.from.id} name={entry.from.name} />
            ) : (
              <time className="msg-hover-time" dateTime={new Date(entry.ts).toISOString()} aria-hidden="true">
                {time}
              </time>
            )}
          </div>
        )}
        <div className="msg-body">
          {showHeader ? (
            <div className="msg-meta">
              {/* Our own name is not repeated over each group of ours: the side and the colour say it. */}
              <bdi className={own ? 'sr-only' : 'msg-author'}>{displayName(entry.from.name)}</bdi>
              <time dateTime={new Date(entry.ts).toISOString()} title={formatFull(entry.ts, locale)}>
                {time}
              </time>
              {edited}
            </div>
          ) : (
            <bdi className="sr-only">{displayName(entry.from.name)}</bdi>
          )}
          {entry.replyTo && (
            <button
              type="button"
              className="msg-reply"
              onClick={() => entry.replyTo && handlers.jumpTo(entry.replyTo.seq)}
            >
              <span className="msg-reply-name">{t.replyQuote(displayName(entry.replyTo.from.name))}</span>{' '}
              <span className="msg-reply-text" data-deleted={entry.replyTo.text === '' || undefined}>
                {entry.replyTo.text === '' ? t.messageDeleted : entry.replyTo.text}
              </span>
            </button>
          )}
          {editing && seq !== null ? (
            <Suspense fallback={<div className="msg-text">{entry.text}</div>}>
              <MessageEditor
                text={entry.text}
                onSave={(text) => handlers.saveEdit(seq, text)}
                onCancel={handlers.cancelEdit}
              />
            </Suspense>
          ) : deleted ? (
            <div className="msg-text msg-deleted">{t.messageDeleted}</div>
          ) : (
            <div className="msg-text" data-emoji={isEmojiOnly(entry.text) || undefined}>
              <MessageText text={entry.text} />
            </div>
          )}
          {/* Under the bubble, not in it: the bubble holds the message's text alone. */}
          {!showHeader && edited && <div className="msg-foot">{edited}</div>}
          {seq !== null && !deleted && <Reactions seq={seq} reactions={entry.reactions} />}
          {entry.status === 'sending' && (
            // Beside the bubble, out of the flow: the row keeps its height
            // when the ack comes, so a burst of sends does not make the list jump.
            <span className="msg-pending">
              <ClockIcon />
              <span className="sr-only">{t.sending}</span>
            </span>
          )}
          {entry.change === 'sending' && (
            <span className="msg-pending">
              <ClockIcon />
              <span className="sr-only">{t.saving}</span>
            </span>
          )}
          {entry.status === 'failed' && (
            <div className="msg-status msg-failed">
              <AlertIcon />
              <span>
                {t.notSent}
                {entry.error ? ` · ${t.notSentReason(entry.error)}` : ''}
              </span>
              <button type="button" className="link-button" onClick={() => handlers.retry(entry.id)}>
                {t.retry}
              </button>
              <button
                type="button"
                className="link-button link-danger"
                onClick={() => handlers.discard(entry.id)}
              >
                {t.discard}
              </button>
            </div>
          )}
          {entry.change === 'failed' && entry.changeId !== undefined && entry.changeKind && (
            <Suspense fallback={null}>
              <ChangeFailed id={entry.changeId} kind={entry.changeKind} error={entry.changeError} t={t} />
            </Suspense>
          )}
          {actionable && (
            <Suspense fallback={null}>
              <MessageActions entry={{ ...entry, seq }} open={menuOpen} onOpenChange={setMenuOpen} />
            </Suspense>
          )}
        </div>
      </div>
    </>
  );
});

import { useCallback, useRef, useState } from 'react';

import { useI18n } from '../../i18n';
import type { MessageView } from '../../state/selectors';
import { ReplyIcon } from '../icons';
import { EditIcon, MoreIcon, SmileIcon, TrashIcon } from './actionIcons';
import { useMessageHandlers } from './context';
import { ReactionPicker } from './ReactionPicker';

/**
 * A message's actions: Add reaction on any, Reply, and Edit and Delete on
 * our own. With a mouse they show on hover and on keyboard focus; on a
 * touch screen (no hover) they sit behind one "Message actions" button, or
 * a long press on the message (`open`, the row's). Hidden is transparent,
 * not removed: a keyboard reaches them, and focusing one shows them.
 */
export function MessageActions({
  entry,
  open,
  onOpenChange,
}: {
  entry: MessageView & { seq: number };
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const { t } = useI18n();
  const handlers = useMessageHandlers();
  const reactButton = useRef<HTMLButtonElement>(null);
  // The open picker's anchor: the button that opened it.
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const picking = anchor !== null;
  const { seq } = entry;

  const done = () => {
    setAnchor(null);
    onOpenChange(false);
  };
  // Stable: the picker listens for clicks outside it with this.
  const closePicker = useCallback(() => {
    setAnchor(null);
    reactButton.current?.focus();
  }, []);

  return (
    <>
      <button
        type="button"
        className="icon-button msg-more"
        aria-label={t.messageActions}
        aria-expanded={open}
        onClick={() => onOpenChange(!open)}
      >
        <MoreIcon />
      </button>
      <div className="msg-actions" data-open={open || picking || undefined}>
        <button
          ref={reactButton}
          type="button"
          className="icon-button"
          aria-label={t.addReaction}
          title={t.addReaction}
          aria-expanded={picking}
          onClick={(e) => setAnchor(picking ? null : e.currentTarget)}
        >
          <SmileIcon />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t.reply}
          title={t.reply}
          onClick={() => {
            handlers.reply({ seq, from: entry.from, text: entry.text });
            done();
          }}
        >
          <ReplyIcon />
        </button>
        {entry.own && (
          <>
            <button
              type="button"
              className="icon-button"
              aria-label={t.edit}
              title={t.edit}
              onClick={() => {
                handlers.startEdit(seq);
                done();
              }}
            >
              <EditIcon />
            </button>
            <button
              type="button"
              className="icon-button icon-danger"
              aria-label={t.delete}
              title={t.delete}
              onClick={() => {
                handlers.askDelete(seq);
                done();
              }}
            >
              <TrashIcon />
            </button>
          </>
        )}
      </div>
      {anchor && (
        <ReactionPicker
          anchor={anchor}
          onClose={closePicker}
          onPick={(emoji) => {
            const mine = entry.reactions.some((r) => r.emoji === emoji && r.mine);
            handlers.react(seq, emoji, !mine);
            done();
            reactButton.current?.focus();
          }}
        />
      )}
    </>
  );
}

import { lazy, Suspense, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';

import { useI18n } from '../../i18n';

/** One click away: the reactions chat uses most. */
export const FREQUENT_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const;

// The full picker and its data are a chunk of their own, fetched the first
// time someone asks for more than the frequent ones.
const EmojiPicker = lazy(() => import('./EmojiPicker'));

/** Space kept between the popover and the edges of the window. */
const MARGIN = 8;

/**
 * The popover of "Add reaction": the frequent emoji, and every emoji behind
 * "More emoji". Esc or a click elsewhere closes it. Fixed to the window at
 * the button that opened it (`anchor`), not inside the row: the list clips
 * and recycles its rows, and the popover must stay whole near its bottom.
 */
export function ReactionPicker({
  anchor,
  onPick,
  onClose,
}: {
  anchor: HTMLElement;
  onPick: (emoji: string) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [more, setMore] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  // Below the button when it fits, else above; inside the window either way.
  // Placed again whenever it changes size: the full picker arrives a moment
  // after "More emoji", and is much taller than the frequent row.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const place = () => {
      const at = anchor.getBoundingClientRect();
      const { offsetWidth: width, offsetHeight: height } = el;
      const left = Math.max(MARGIN, Math.min(at.right - width, window.innerWidth - width - MARGIN));
      const below = at.bottom + 4;
      const top =
        below + height <= window.innerHeight - MARGIN ? below : Math.max(MARGIN, at.top - height - 4);
      el.style.left = `${left}px`;
      el.style.top = `${top}px`;
    };
    place();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(place);
    observer.observe(el);
    return () => observer.disconnect();
  }, [anchor]);

  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const onDown = (e: PointerEvent) => {
      const target = e.target;
      if (target instanceof Node && !ref.current?.contains(target) && !anchor.contains(target)) onClose();
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [anchor, onClose]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    onClose();
  };

  return createPortal(
    <div ref={ref} className="reaction-picker" role="dialog" aria-label={t.addReaction} onKeyDown={onKeyDown}>
      <div className="reaction-frequent">
        {FREQUENT_EMOJI.map((emoji) => (
          <button
            key={emoji}
            type="button"
            className="emoji-button"
            aria-label={emoji}
            onClick={() => onPick(emoji)}
          >
            {emoji}
          </button>
        ))}
        {!more && (
          <button type="button" className="button button-ghost button-sm" onClick={() => setMore(true)}>
            {t.moreEmoji}
          </button>
        )}
      </div>
      {more && (
        <Suspense fallback={<p className="emoji-empty">{t.emojiLoading}</p>}>
          <EmojiPicker onPick={onPick} />
        </Suspense>
      )}
    </div>,
    document.body,
  );
}

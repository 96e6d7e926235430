import { useState } from 'react';

import { useI18n } from '../../i18n';
import type { ReactionView } from '../../state/selectors';
import { displayName } from '../bidi';
import { useMessageHandlers } from './context';

/** Names shown in a reaction's tooltip before "and N others". */
const NAMES_SHOWN = 8;

/**
 * A message's reactions as toggle pills: the emoji and how many reacted,
 * pressed when one of them is us. Who reacted shows on hover and focus; the
 * names are looked up only then (a long list renders many pills).
 */
export function Reactions({ seq, reactions }: { seq: number; reactions: readonly ReactionView[] }) {
  if (reactions.length === 0) return null;
  return (
    <div className="reactions">
      {reactions.map((reaction) => (
        <ReactionPill key={reaction.emoji} seq={seq} reaction={reaction} />
      ))}
    </div>
  );
}

function ReactionPill({ seq, reaction }: { seq: number; reaction: ReactionView }) {
  const { t } = useI18n();
  const handlers = useMessageHandlers();
  const [who, setWho] = useState<string | null>(null);
  const { emoji, count, users, mine } = reaction;

  const describe = () => {
    const names: string[] = [];
    for (const id of users) {
      const name = handlers.nameOf(id);
      if (name !== null && names.length < NAMES_SHOWN) names.push(displayName(name));
    }
    setWho(t.whoReacted(names, count - names.length, emoji));
  };

  return (
    <span className="reaction-wrap">
      <button
        type="button"
        className="reaction"
        aria-pressed={mine}
        aria-label={t.reactionPill(emoji, count)}
        onClick={() => handlers.react(seq, emoji, !mine)}
        onPointerEnter={describe}
        onFocus={describe}
        disabled={!handlers.changes}
      >
        <span className="reaction-emoji">{emoji}</span>
        <span className="reaction-count">{count}</span>
      </button>
      {who && (
        <span className="reaction-who" role="tooltip">
          {who}
        </span>
      )}
    </span>
  );
}

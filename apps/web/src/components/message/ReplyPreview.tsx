import type { ReplyRef } from '@tether/protocol';

import { useI18n } from '../../i18n';
import { displayName } from '../bidi';
import { CloseIcon, ReplyIcon } from '../icons';

/**
 * "Replying to NAME" over the composer, with the quoted text and a way to
 * cancel. In the tools chunk: a reply starts from a message's actions, so the
 * chunk is always here by the time this shows.
 */
export function ReplyPreview({ replyTo, onCancel }: { replyTo: ReplyRef; onCancel: () => void }) {
  const { t } = useI18n();
  return (
    <div className="composer-reply">
      <ReplyIcon size={14} />
      <span className="composer-reply-text">
        <bdi className="composer-reply-name">{t.replyingTo(displayName(replyTo.from.name))}</bdi>
        <span className="composer-reply-snippet">
          {replyTo.text === '' ? t.messageDeleted : replyTo.text}
        </span>
      </span>
      <button
        type="button"
        className="icon-button composer-reply-cancel"
        aria-label={t.cancelReply}
        title={t.cancelReply}
        onClick={onCancel}
      >
        <CloseIcon size={16} />
      </button>
    </div>
  );
}

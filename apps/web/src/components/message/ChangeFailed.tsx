import type { Messages } from '../../i18n';
import type { MessageView } from '../../state/selectors';
import { AlertIcon } from '../icons';
import { useMessageHandlers } from './context';

/** A change of ours the server refused (rare: in the tools chunk), with Retry and Discard. */
export function ChangeFailed({
  id,
  kind,
  error,
  t,
}: {
  id: string;
  kind: NonNullable<MessageView['changeKind']>;
  error: string | undefined;
  t: Messages;
}) {
  const handlers = useMessageHandlers();
  return (
    <div className="msg-status msg-failed">
      <AlertIcon />
      <span>
        {t.changeFailed(kind)}
        {error ? ` · ${t.notSentReason(error)}` : ''}
      </span>
      <button type="button" className="link-button" onClick={() => handlers.retry(id)}>
        {t.retry}
      </button>
      <button type="button" className="link-button link-danger" onClick={() => handlers.discard(id)}>
        {t.discard}
      </button>
    </div>
  );
}

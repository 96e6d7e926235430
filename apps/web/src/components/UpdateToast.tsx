import { useI18n } from '../i18n';
import { CloseIcon } from './icons';

/** "A new version is ready": the service worker waits for this Reload instead of reloading mid-conversation. */
export function UpdateToast({ onReload, onDismiss }: { onReload: () => void; onDismiss: () => void }) {
  const { t } = useI18n();
  return (
    <div className="toast" role="alert">
      <span>{t.updateReady}</span>
      <button type="button" className="button button-primary toast-action" onClick={onReload}>
        {t.reload}
      </button>
      <button type="button" className="icon-button" aria-label={t.dismiss} onClick={onDismiss}>
        <CloseIcon size={16} />
      </button>
    </div>
  );
}

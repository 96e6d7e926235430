import type { Ref } from 'react';

import { useI18n } from '../i18n';
import { CloseIcon } from './icons';

/** The close button in the head of a drawer (rooms or members); hidden by the stylesheet while the panel is a sidebar. */
export function DrawerClose({ ref, onClose }: { ref: Ref<HTMLButtonElement>; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <button
      ref={ref}
      type="button"
      className="icon-button drawer-close"
      aria-label={t.close}
      onClick={onClose}
    >
      <CloseIcon />
    </button>
  );
}

import type { CSSProperties } from 'react';

import { displayName } from './bidi';
import { hueFor, initials } from './format';

/**
 * Initials on a colour derived from the user id, so a person keeps their
 * colour across renames and sessions. The hue goes in as a CSS variable (set
 * through the CSSOM, which `style-src 'self'` allows); the stylesheet picks
 * lightness per theme.
 */
export function Avatar({ id, name, size = 'md' }: { id: string; name: string; size?: 'sm' | 'md' }) {
  const style = { '--avatar-hue': hueFor(id) } as CSSProperties;
  return (
    <span className={`avatar avatar-${size}`} style={style} aria-hidden="true">
      {initials(displayName(name))}
    </span>
  );
}

import { Fragment } from 'react';
import type { ReactNode } from 'react';

import { linkify } from '../linkify';

/**
 * A link from a message: opened in a new tab without `window.opener` or a
 * referrer; `dir="ltr"` isolates it (HTML's rendering rules), so a bidi
 * override written before it cannot make it read backwards; its title is
 * where it goes, in full (a Markdown link's text can say anything).
 */
export function MessageLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" dir="ltr" title={href}>
      {children}
    </a>
  );
}

/** Plain text with its http(s) links made links (linkify.ts: the host as it resolves, no bidi controls). */
export function Linkified({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((p, i) =>
        p.kind === 'link' ? (
          <MessageLink key={i} href={p.href}>
            {p.text}
          </MessageLink>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </>
  );
}

import { Fragment, memo } from 'react';

import { linkify } from './linkify';

/**
 * Message text as text: React escapes every string it renders, and the only
 * element made from a message is an `<a>` whose `href` passed `linkify`'s
 * http(s) check. Opened in a new tab without `window.opener` or a referrer.
 * A link is `dir="ltr"`, which isolates it (HTML's rendering rules): a bidi
 * override written before it cannot make it read backwards. Its title is
 * where it goes, in full.
 */
export const MessageText = memo(function MessageText({ text }: { text: string }) {
  const parts = linkify(text);
  return (
    <>
      {parts.map((p, i) =>
        p.kind === 'link' ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer" dir="ltr" title={p.href}>
            {p.text}
          </a>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </>
  );
});

import { useI18n } from '../i18n';
import { isolatedName } from './bidi';

/**
 * "X is typing…", on a line of its own height whether or not anyone types,
 * so the composer does not jump. Polite live region, not `status`: the one
 * status on the page is the connection's.
 */
export function TypingLine({ names }: { names: readonly string[] }) {
  const { t } = useI18n();
  // Each name isolated: an Arabic name must not pull "is typing" into its direction.
  const [a, b] = names.map(isolatedName);
  let text = '';
  if (a !== undefined && b !== undefined) {
    text = names.length === 2 ? t.typing2(a, b) : t.typingMany(a, b, names.length - 2);
  } else if (a !== undefined) {
    text = t.typing1(a);
  }
  return (
    <div className="typing" aria-live="polite">
      {text && (
        <>
          <span className="typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span className="typing-text">{text}</span>
        </>
      )}
    </div>
  );
}

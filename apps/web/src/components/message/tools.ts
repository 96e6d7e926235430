/**
 * A message's actions and what they open (the editor, the delete dialog,
 * the reaction picker, the reply shown over the composer) are a chunk of
 * their own, kept off the first page load. MessageList asks for it once the
 * room shows on a server that serves changes, so it is here before anyone
 * reaches for them; until then a row shows its message without actions.
 */
import { lazy } from 'react';

const load = () => import('./toolsChunk');

export const MessageEditor = lazy(() => load().then((m) => ({ default: m.MessageEditor })));
export const DeleteDialog = lazy(() => load().then((m) => ({ default: m.DeleteDialog })));
export const ChangeFailed = lazy(() => load().then((m) => ({ default: m.ChangeFailed })));
export const MessageActions = lazy(() => load().then((m) => ({ default: m.MessageActions })));
export const ReplyPreview = lazy(() => load().then((m) => ({ default: m.ReplyPreview })));

/** Fetches the chunk ahead of the first click. */
export function preloadMessageTools(): void {
  void load().catch(() => undefined);
}

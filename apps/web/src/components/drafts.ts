/**
 * Unsent composer text per room, in sessionStorage: it survives a reload and
 * a room switch, and stays with its tab (two tabs in one room do not overwrite
 * each other's drafts). Storage can be missing or full (private modes, quotas);
 * then drafts live only as long as the component.
 */

const PREFIX = 'tether:draft:';

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage;
  } catch {
    return null;
  }
}

export function loadDraft(room: string): string {
  try {
    return storage()?.getItem(PREFIX + room) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(room: string, text: string): void {
  try {
    const s = storage();
    if (!s) return;
    if (text) s.setItem(PREFIX + room, text);
    else s.removeItem(PREFIX + room);
  } catch {
    // Quota or disabled storage: the draft stays in memory only.
  }
}

/** Forgets every room's draft (on sign-out: the next person on this tab should not see them). */
export function clearDrafts(): void {
  try {
    const s = storage();
    if (!s) return;
    const keys: string[] = [];
    for (let i = 0; i < s.length; i++) {
      const key = s.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key);
    }
    for (const key of keys) s.removeItem(key);
  } catch {
    // Nothing kept, nothing to clear.
  }
}

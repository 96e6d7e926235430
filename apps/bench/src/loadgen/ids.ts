/** Send ids unique over the generator's life: a user's id may never repeat (idempotency key). */
let next = 0;

export function nextSendId(prefix: string): string {
  return `${prefix}${next++}`;
}

/** Client message ids: the idempotency key of a send, reused on every resend. */

/** 16 bytes: 128 bits, so two sends of one user never collide by chance. */
const ID_BYTES = 16;

export type RandomValues = (array: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;

const defaultRandomValues: RandomValues = (array) => crypto.getRandomValues(array);

/** `c_` + 22 base64url characters, well inside the protocol's `[A-Za-z0-9_-]{1,64}`. */
export function createMessageId(getRandomValues: RandomValues = defaultRandomValues): string {
  const bytes = getRandomValues(new Uint8Array(ID_BYTES));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return 'c_' + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

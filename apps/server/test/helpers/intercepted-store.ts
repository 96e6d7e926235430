/**
 * A real store with every call passing through `intercept`, which may delay
 * it, fail it or pass it on: a disk slower than a timeout, a store that fails
 * on purpose, a database across a network. One wrapper for every test that
 * needs one, so a new store method is added here once.
 */
import type { ChatStore } from '../../src/chat/ports.js';

export type StoreMethod = keyof ChatStore;

/** Every method, so the compiler says when ChatStore gains one this wrapper does not pass on. */
const METHODS: Record<StoreMethod, true> = {
  createUser: true,
  resumeSession: true,
  renameUser: true,
  touchUsers: true,
  openRoom: true,
  findRoom: true,
  newEpoch: true,
  listRooms: true,
  idleEmptyRooms: true,
  sweep: true,
  append: true,
  findAck: true,
  change: true,
  message: true,
  events: true,
  latest: true,
  after: true,
  before: true,
  check: true,
  close: true,
};

export type Intercept = (method: StoreMethod, call: () => Promise<unknown>) => Promise<unknown>;

export function interceptStore(inner: ChatStore, intercept: Intercept): ChatStore {
  // Called as methods of `inner`, so each runs with its own store as `this`.
  const target = inner as unknown as Record<StoreMethod, (...args: unknown[]) => Promise<unknown>>;
  const wrapped: Partial<Record<StoreMethod, unknown>> = {};
  for (const method of Object.keys(METHODS) as StoreMethod[]) {
    wrapped[method] = (...args: unknown[]) => intercept(method, () => target[method](...args));
  }
  // Nothing waits for a touch: it passes on as it is.
  wrapped.touchUsers = (...args: Parameters<ChatStore['touchUsers']>) => inner.touchUsers(...args);
  return wrapped as ChatStore;
}

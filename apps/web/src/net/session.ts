/**
 * Who we are to the server (docs/protocol.md, "Session"): the token, the name the
 * next hello carries, and what a welcome or a refusal changes in the session
 * slice and in storage. It sends nothing: ChatClient decides when a hello goes
 * out and what an answer means for the connection.
 */
import type { ErrorMessage, Hello, User, Welcome } from '@tether/protocol';
import { ERROR_CODES, FEATURES, PROTOCOL_VERSION } from '@tether/protocol/constants';

import type { ChatStorage, PersistedSession } from '../state/persistence';
import type { ChatStateStore } from '../state/store';
import type { ChatState, NameError } from '../state/types';
import { normaliseName } from './text';

/** What `choose` made of a name: refused here, the one we already are, or one to say hello with. */
export type NameChoice = 'invalid' | 'current' | 'pending';

/**
 * What follows a refused hello: say hello again on the same connection (with
 * the name we had), wait for the person to choose a name, give up (another
 * protocol version), or nothing the session can act on.
 */
export type HelloOutcome = 'again' | 'wait' | 'fatal' | 'ignored';

export class Session {
  readonly #store: ChatStateStore;
  readonly #storage: ChatStorage;
  #token: string | null;
  /** The last name the server welcomed, for a resumed hello and the name picker. */
  #savedName: string | null;

  constructor(store: ChatStateStore, storage: ChatStorage, saved: PersistedSession) {
    this.#store = store;
    this.#storage = storage;
    this.#token = saved.token;
    this.#savedName = saved.name;
  }

  /** The name the next hello says, or null: a new user who has not chosen one has nothing to connect with. */
  helloName(): string | null {
    const { session } = this.#store.getState();
    if (session.pendingName !== null) return session.pendingName;
    const known = this.#token === null ? null : (session.user?.name ?? this.#savedName);
    if (known === null) return null;
    // With a token, a hello whose name differs renames the user: saying the
    // name this tab last knew would undo a rename made in another tab while
    // this one was away. Tabs share storage, and the tab that was welcomed
    // under the new name wrote it there.
    const stored = this.#storage.loadSession();
    return stored.token === this.#token && stored.name !== null ? stored.name : known;
  }

  /** The hello to send now, with our token when we have one; null when there is no name to say. */
  hello(): Hello | null {
    const name = this.helloName();
    if (name === null) return null;
    const hello: Hello = { type: 'hello', v: PROTOCOL_VERSION, name };
    if (this.#token !== null) hello.token = this.#token;
    return hello;
  }

  /**
   * Takes the name the person typed. `welcomed` says whether a session is up:
   * then its own name again changes nothing.
   */
  choose(raw: string, welcomed: boolean): NameChoice {
    const name = normaliseName(raw);
    if (name === null) {
      this.#patch({
        nameError: 'invalid_name',
        nameErrorWaitMs: null,
        suggestedName: raw,
        pendingName: null,
      });
      return 'invalid';
    }
    if (welcomed && this.#store.getState().session.user?.name === name) return 'current';
    this.#patch({ pendingName: name, nameError: null, nameErrorWaitMs: null, suggestedName: null });
    return 'pending';
  }

  welcomed(welcome: Welcome): void {
    this.#token = welcome.token;
    this.#savedName = welcome.user.name;
    const changes = welcome.features?.includes(FEATURES.CHANGES) ?? false;
    this.#storage.saveSession({ token: welcome.token, user: welcome.user, name: welcome.user.name, changes });
    this.#store.setState((s) => ({
      // A welcome after a refused rename (pendingName already cleared) keeps
      // the refusal visible; a welcome for the name asked for clears it.
      session:
        s.session.pendingName === null && s.session.user !== null
          ? { ...s.session, user: welcome.user, changes }
          : {
              user: welcome.user,
              pendingName: null,
              nameError: null,
              nameErrorWaitMs: null,
              suggestedName: null,
              changes,
            },
    }));
  }

  /**
   * A user took another name (`renamed`). When it is us (a rename in another
   * tab or on another device), the next hello must say the new name, or a
   * reconnect would rename us back; the store's part is `renamedReceived`.
   */
  renamed(user: User): void {
    const self = this.#store.getState().session.user;
    if (self?.id !== user.id || this.#token === null) return;
    this.#savedName = user.name;
    const { changes } = this.#store.getState().session;
    this.#storage.saveSession({ token: this.#token, user, name: user.name, changes });
  }

  /** The server refused our hello with `error`. */
  helloRefused(error: ErrorMessage): HelloOutcome {
    switch (error.code) {
      case ERROR_CODES.NAME_TAKEN:
      case ERROR_CODES.INVALID_NAME:
      case ERROR_CODES.RATE_LIMITED:
        // rate_limited: a rename over the renames budget, or (a new user)
        // over the new-users budget of this network address.
        return this.nameRefused(error.code, error.retryAfterMs) ? 'again' : 'wait';
      case ERROR_CODES.INVALID_TOKEN:
        // We are a new user now, waiting for the person to confirm a name.
        this.tokenRefused();
        return 'wait';
      case ERROR_CODES.UNSUPPORTED_VERSION:
        return 'fatal';
      default:
        return 'ignored';
    }
  }

  /**
   * The server forgot our token (expired, or another server's data): start
   * over as a new user, with the name picker prefilled.
   */
  tokenRefused(): void {
    const name = this.#store.getState().session.pendingName ?? this.#savedName;
    this.#token = null;
    this.#storage.saveSession({ token: null, user: null, name });
    this.#patch({
      user: null,
      pendingName: null,
      nameError: null,
      nameErrorWaitMs: null,
      suggestedName: name,
    });
  }

  /**
   * The server refused a name. Returns true when it was a rename: we stay who
   * we were, and must say hello with that name again on the same connection.
   * False when there is no other name to say: the name picker asks for one.
   */
  nameRefused(code: NonNullable<NameError>, retryAfterMs?: number): boolean {
    const { session } = this.#store.getState();
    const current = this.#token === null ? null : (session.user?.name ?? this.#savedName);
    const refused = session.pendingName ?? current;
    const waitMs = code === 'rate_limited' ? (retryAfterMs ?? null) : null;
    if (current !== null && refused !== current) {
      this.#patch({ pendingName: null, nameError: code, nameErrorWaitMs: waitMs, suggestedName: refused });
      return true;
    }
    if (code === 'rate_limited' && current !== null) {
      // Our own name again is never over the renames budget; whatever this
      // was, the name picker cannot help, and the connection's hello timeout
      // ends it. The reconnect after it says hello as before.
      this.#patch({ pendingName: null, nameError: code, nameErrorWaitMs: waitMs, suggestedName: null });
      return false;
    }
    // A new user, or our saved name is now someone else's.
    this.#savedName = null;
    this.#patch({
      user: null,
      pendingName: null,
      nameError: code,
      nameErrorWaitMs: waitMs,
      suggestedName: refused,
    });
    return false;
  }

  /** Forgets the token and the name (sign-out); the caller clears the store and storage. */
  forget(): void {
    this.#token = null;
    this.#savedName = null;
  }

  #patch(patch: Partial<ChatState['session']>): void {
    this.#store.setState((s) => ({ session: { ...s.session, ...patch } }));
  }
}

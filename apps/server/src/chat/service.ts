/**
 * The chat, as the protocol reference describes it, put together from its
 * parts: sessions (session.ts), what each request does (handlers.ts), the
 * rooms this process holds and the routing of their events (rooms.ts), and
 * the member lists kept in step across processes (membership-sync.ts). It
 * sees connections only as `Peer`s and everything else through the ports in
 * ports.ts.
 */
import type { User } from '@tether/protocol';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.js';
import { LogSampler } from '../util/log-sampler.js';
import { RequestHandlers, TOUCH_EVERY_MS } from './handlers.js';
import { Housekeeping } from './housekeeping.js';
import type {
  Bus,
  Chat,
  ChatSettings,
  ChatStore,
  Clock,
  FrameEncoder,
  JoinedEncoder,
  MembershipDirectory,
  Peer,
  SweepResult,
} from './ports.js';
import { RoomRegistry } from './rooms.js';
import { Session, type SessionContext } from './session.js';

export interface ChatDeps {
  store: ChatStore;
  bus: Bus;
  membership: MembershipDirectory;
  encode: FrameEncoder;
  encodeJoined: JoinedEncoder;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  settings: ChatSettings;
}

export class ChatService implements Chat {
  private readonly rooms: RoomRegistry;
  private readonly handlers: RequestHandlers;
  private readonly context: SessionContext;
  private readonly sessions = new Set<Session>();
  private readonly housekeeping: Housekeeping;
  private readonly touchTimer: NodeJS.Timeout;

  constructor(private readonly deps: ChatDeps) {
    this.rooms = new RoomRegistry({ ...deps, onRenamed: (user) => this.renamed(user) });
    this.housekeeping = new Housekeeping({
      ...deps,
      isOpen: (room) => this.rooms.get(room) !== undefined,
      liveUsers: () => this.liveUsers(),
    });
    // Connections that only answer pings are in use too: their users' tokens live on.
    this.touchTimer = setInterval(() => {
      deps.store.touchUsers(this.liveUsers(), deps.clock.now() + deps.settings.tokenTtlDays * 86_400_000);
    }, TOUCH_EVERY_MS);
    this.touchTimer.unref();
    const failures = new LogSampler();
    this.handlers = new RequestHandlers({
      ...deps,
      rooms: this.rooms,
      failures,
      renamed: (user) => {
        this.renamed(user);
        deps.bus.publish({ kind: 'renamed', user });
      },
    });
    this.context = {
      handler: {
        handle: (session, message) => this.handlers.handle(session, message),
        ended: (session, clean) => {
          this.sessions.delete(session);
          this.handlers.ended(session, clean);
        },
      },
      encode: deps.encode,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
      helloTimeoutMs: deps.settings.helloTimeoutMs,
      failures,
      frameLimitPerSec: deps.settings.frameLimitPerSec,
      frameLimitBurst: deps.settings.frameLimitBurst,
    };
  }

  /** Starts a session for a new connection. */
  open(peer: Peer): Session {
    const session = new Session(this.context, peer);
    this.sessions.add(session);
    return session;
  }

  /**
   * A user took a new name (on this process or another): from now on every
   * session of theirs speaks under it, every member record holds it, and
   * each connection that knows the user (theirs, and those sharing a room
   * with them) gets one `renamed` frame, however many rooms it shares.
   */
  private renamed(user: User): void {
    const peers = this.rooms.renamed(user);
    for (const session of this.sessions) {
      if (session.user?.id !== user.id) continue;
      session.user = user;
      peers.add(session.peer);
    }
    if (peers.size === 0) return;
    const frame = this.deps.encode({ type: 'renamed', user });
    for (const peer of peers) peer.write(frame);
  }

  /** Users with a session on this process, each once. */
  private liveUsers(): string[] {
    const ids = new Set<string>();
    for (const session of this.sessions) if (session.user) ids.add(session.user.id);
    return [...ids];
  }

  /** Sweeps the store now, as the hourly housekeeping does. */
  sweep(): Promise<SweepResult> {
    return this.housekeeping.sweep();
  }

  /** Stops timers and forgets rooms without announcing anyone (process exit). */
  shutdown(): Promise<void> {
    this.housekeeping.stop();
    clearInterval(this.touchTimer);
    this.handlers.stop();
    for (const session of this.sessions) session.clearHelloTimer();
    return this.rooms.shutdown();
  }
}

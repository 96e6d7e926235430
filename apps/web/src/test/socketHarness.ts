/**
 * A `ReconnectingSocket` over a fake WebSocket and environment, and a stand-in
 * for ChatClient above it: it says hello when a socket opens, calls `ready`
 * and then pings once on welcome, and keeps the status and round trip the way
 * the client keeps them in its store (`state.connection`), with the frames and
 * closes it was told of. The caller installs fake timers
 * (`fakeTimersEachTest`); the clock is the faked `Date.now`, which `sleep` can
 * move ahead of the timers.
 */
import { systemTimers } from '../net/env';
import type { SessionFrame } from '../net/frames';
import { HANDSHAKE_TIMEOUT_MS } from '../net/options';
import { ReconnectingSocket } from '../net/socket';
import type { ConnectionSlice } from '../state/types';
import { FakeEnvironment, FakeFetch, fakeSocketFactory, silentLog } from './fakes';
import type { FakeWebSocket } from './fakes';
import { HEARTBEAT, joinedFrame, welcomeFrame } from './frames';

export interface SocketSetupOptions {
  random?: () => number;
}

export function setupSocket(options: SocketSetupOptions = {}) {
  const factory = fakeSocketFactory();
  const environment = new FakeEnvironment();
  const fetch = new FakeFetch();
  let skew = 0;
  const state: { connection: ConnectionSlice; frames: SessionFrame[]; closes: number } = {
    connection: { status: { kind: 'idle' }, rttMs: null },
    frames: [],
    closes: 0,
  };
  const link: ReconnectingSocket = new ReconnectingSocket({
    url: 'ws://chat.test/ws',
    WebSocket: factory.WebSocket,
    readyUrl: 'http://chat.test/readyz',
    fetch: () => fetch.fetch,
    // The monotonic clock can run ahead of the timers, as in a throttled
    // background tab whose timers fire late.
    clock: { now: () => performance.now() + skew },
    timers: systemTimers,
    random: options.random ?? (() => 0.5),
    environment,
    log: silentLog,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    canConnect: () => true,
    handlers: {
      open: () => {
        if (link.send({ type: 'hello', v: 1, name: 'alice' })) link.startHandshakeTimer();
      },
      frame: (frame) => {
        state.frames.push(frame);
      },
      close: () => {
        state.closes += 1;
      },
      status: (status) => {
        state.connection = { ...state.connection, status };
      },
      rtt: (ms) => {
        state.connection = { ...state.connection, rttMs: ms };
      },
    },
  });
  const h = {
    link,
    environment,
    fetch,
    state,
    sockets: factory.sockets,
    get socket(): FakeWebSocket {
      return factory.last();
    },
    /** The machine sleeps for `ms`: the clock moves on, no timer fires. */
    sleep(ms: number) {
      skew += ms;
    },
    /** Opens the current socket and welcomes it, as ChatClient does: `ready`, then one ping. */
    welcome(): FakeWebSocket {
      const socket = factory.last();
      socket.open();
      socket.deliver(welcomeFrame());
      link.ready(HEARTBEAT);
      link.pingNow();
      return socket;
    },
    /** Starts, is welcomed, hears a frame (the answer to the first ping), and forgets the frames sent so far. */
    signIn(): FakeWebSocket {
      link.start();
      const socket = h.welcome();
      socket.deliver(joinedFrame('general'));
      socket.clearSent();
      return socket;
    },
  };
  return h;
}

export type SocketHarness = ReturnType<typeof setupSocket>;

import { describe, expect, it } from 'vitest';

import type { Message, ServerMessage, User } from '@tether/protocol';

import type { Frame, Peer, RoomEvent } from './ports.js';
import { Room, type RoomOptions } from './room.js';

/** A frame that carries the message itself, so a test can read what a peer got. */
interface TestFrame extends Frame {
  message: ServerMessage;
}

class TestPeer implements Peer {
  static next = 1;
  readonly id = TestPeer.next++;
  readonly address = '127.0.0.1';
  readonly unsentBytes = 0;
  readonly got: ServerMessage[] = [];
  whenDrained(): Promise<void> {
    return Promise.resolve();
  }
  write(frame: Frame): void {
    this.got.push((frame as TestFrame).message);
  }
  close(): void {
    // Rooms never close peers.
  }
  seqs(): number[] {
    return this.got.flatMap((m) => (m.type === 'message' || m.type === 'update' ? [m.seq] : []));
  }
  kinds(): string[] {
    return this.got.flatMap((m) =>
      m.type === 'message' ? [`m${m.seq}`] : m.type === 'update' ? [`u${m.seq}:${m.message.seq}`] : [],
    );
  }
  presence(): string[] {
    return this.got.flatMap((m) => (m.type === 'presence' ? [`${m.user.name} ${m.state}`] : []));
  }
}

const alice: User = { id: 'u_a', name: 'alice' };
const bob: User = { id: 'u_b', name: 'bob' };
const carol: User = { id: 'u_c', name: 'carol' };

function stored(seq: number): Message {
  return { room: 'r', seq, ts: seq, id: `c_${seq}`, from: alice, text: `m${seq}`, rev: seq };
}

function message(seq: number): RoomEvent {
  return { kind: 'message', message: stored(seq) };
}

/** Event `seq` changed message `target`. */
function update(seq: number, target: number): RoomEvent {
  return { kind: 'update', seq, message: { ...stored(target), text: 'edited', rev: seq } };
}

function room(
  seq: number,
  members: User[] = [],
  fetchAfter: RoomOptions['fetchAfter'] = () => Promise.resolve([]),
  onRewound: () => void = () => undefined,
): Room {
  return new Room({
    name: 'r',
    epoch: 'e_1',
    seq,
    members,
    graceMs: 0,
    encode: (m) => ({ byteLength: 1, message: m }) as TestFrame,
    onLocalPresence: () => undefined,
    fetchAfter,
    onIdle: () => undefined,
    onRewound,
  });
}

describe('Room', () => {
  it('skips live deliveries a joined answer already held, when the answer ran ahead of the room', () => {
    const r = room(3);
    const early = new TestPeer();
    r.attach(early, alice);
    r.release(early, 3);
    const late = new TestPeer();
    r.attach(late, bob);
    // Its page was read after seqs 4 and 5 were committed elsewhere, before the bus brought them here.
    r.release(late, 5);
    for (const seq of [4, 5, 6]) r.deliver(message(seq));
    expect(early.seqs()).toEqual([4, 5, 6]);
    expect(late.seqs()).toEqual([6]);
  });

  it('releases held deliveries newer than the answer, once each', () => {
    const r = room(0);
    const peer = new TestPeer();
    r.attach(peer, alice);
    for (const seq of [1, 2, 3]) r.deliver(message(seq));
    r.release(peer, 2);
    r.deliver(message(4));
    expect(peer.seqs()).toEqual([3, 4]);
  });

  it('delivers updates and messages as one stream in seq order, waiting for a missing seq', () => {
    const r = room(3);
    const peer = new TestPeer();
    r.attach(peer, alice);
    r.release(peer, 3);
    r.deliver(update(5, 2));
    r.deliver(message(6));
    expect(peer.kinds()).toEqual([]);
    r.deliver(message(4));
    expect(peer.kinds()).toEqual(['m4', 'u5:2', 'm6']);
  });

  it('holds updates for a joining connection and releases only those after its answer', () => {
    const r = room(3);
    const peer = new TestPeer();
    r.attach(peer, alice);
    r.deliver(update(4, 1));
    r.deliver(update(5, 2));
    r.deliver(message(6));
    // Its page was read after event 5: the page holds messages 1 and 2 in their state after it.
    r.release(peer, 5);
    expect(peer.kinds()).toEqual(['m6']);
  });

  it('tells a late duplicate update from another event under the same seq (a store that went back)', () => {
    let rewound = 0;
    const r = room(0, [], undefined, () => rewound++);
    r.deliver(message(1));
    r.deliver(update(2, 1));
    r.deliver(update(2, 1));
    expect(rewound).toBe(0);
    r.deliver(message(2));
    expect(rewound).toBe(1);
  });

  describe('a late event under a seq the room keeps no record of', () => {
    /** A room that delivered 1..last; the store answers `atLast` for the event at `last`. */
    function delivered(
      last: number,
      atLast: RoomEvent[],
    ): { r: Room; asked: number[][]; rewound: () => number } {
      let rewound = 0;
      const asked: number[][] = [];
      const r = room(
        0,
        [],
        (_room, since, limit) => {
          asked.push([since, limit]);
          return Promise.resolve(atLast);
        },
        () => rewound++,
      );
      for (let seq = 1; seq <= last; seq++) r.deliver(message(seq));
      return { r, asked, rewound: () => rewound };
    }

    it('is a late copy when the store still holds what the room delivered last: no new epoch', async () => {
      const { r, asked, rewound } = delivered(600, [message(600)]);
      // Seq 5 is far outside the remembered window: the bus lagged behind a gap fill.
      r.deliver(message(5));
      r.deliver(message(6));
      await new Promise((resolve) => setImmediate(resolve));
      expect(asked).toEqual([[599, 1]]);
      expect(rewound()).toBe(0);
    });

    it('is a store that went back when the store no longer holds the last delivered seq', async () => {
      const { r, rewound } = delivered(600, []);
      r.deliver({ kind: 'message', message: { ...stored(5), id: 'c_other' } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(rewound()).toBe(1);
    });

    it('is a store that went back when another event holds the last delivered seq', async () => {
      const { r, rewound } = delivered(600, [{ kind: 'message', message: { ...stored(600), id: 'c_new' } }]);
      r.deliver({ kind: 'message', message: { ...stored(5), id: 'c_other' } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(rewound()).toBe(1);
    });

    it('is a late copy of an event committed just before the room was opened here', async () => {
      let rewound = 0;
      const r = room(
        10,
        [],
        (_room, since) => Promise.resolve(since === 9 ? [message(10)] : []),
        () => rewound++,
      );
      const peer = new TestPeer();
      r.attach(peer, alice);
      r.release(peer, 10);
      r.deliver(message(10));
      await new Promise((resolve) => setImmediate(resolve));
      expect(rewound).toBe(0);
      expect(peer.seqs()).toEqual([]);
    });
  });

  it('fills a gap of updates from the store', async () => {
    const r = room(1, [], () => Promise.resolve([update(2, 1), update(3, 1)]));
    const peer = new TestPeer();
    r.attach(peer, alice);
    r.release(peer, 1);
    r.deliver(message(4));
    r.catchUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(peer.kinds()).toEqual(['u2:1', 'u3:1', 'm4']);
  });

  it('moves past a seq the store reports gone (its message removed by retention), and takes its late update calmly', async () => {
    let rewound = 0;
    const r = room(
      1,
      [],
      () => Promise.resolve<RoomEvent[]>([{ kind: 'gone', seq: 2 }]),
      () => rewound++,
    );
    const peer = new TestPeer();
    r.attach(peer, alice);
    r.release(peer, 1);
    r.deliver(message(3));
    r.catchUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(peer.kinds()).toEqual(['m3']);
    r.deliver(update(2, 1));
    expect(rewound).toBe(0);
    expect(peer.kinds()).toEqual(['m3']);
  });

  it('lists a local joiner at once and gives a joining connection no presence while its answer is prepared', () => {
    const r = room(0, [carol]);
    const member = new TestPeer();
    r.attach(member, alice);
    r.release(member, 0);
    const joining = new TestPeer();
    r.attach(joining, bob);
    // Bob is recorded and announced to alice at once; carol leaves meanwhile.
    r.applyMember(carol.id, null);
    expect(r.members()).toEqual([alice, bob]);
    r.release(joining, 0);
    expect(joining.presence()).toEqual([]);
    expect(member.presence()).toEqual(['bob joined', 'carol left']);
    // After the answer, changes reach the newcomer too.
    r.applyMember(carol.id, carol);
    expect(joining.presence()).toEqual(['carol joined']);
  });

  it('keeps a member this process holds even when a late directory answer says otherwise', () => {
    const r = room(0);
    const peer = new TestPeer();
    r.attach(peer, alice);
    r.release(peer, 0);
    r.applyMember(alice.id, null);
    r.applyMembers([]);
    expect(r.members()).toEqual([alice]);
  });
});

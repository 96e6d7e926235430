import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { User } from '@tether/protocol';

import { MemberList } from './member-list.js';

const decode = (list: MemberList): unknown => JSON.parse(Buffer.concat(list.encoded()).toString('utf8'));

describe('MemberList', () => {
  it('encodes an empty list as []', () => {
    expect(decode(new MemberList())).toEqual([]);
  });

  it('keeps insertion order and replaces a record in place', () => {
    const list = new MemberList([
      { id: 'a', name: 'ann' },
      { id: 'b', name: 'bob' },
    ]);
    list.set({ id: 'a', name: 'anne' });
    expect(list.values()).toEqual([
      { id: 'a', name: 'anne' },
      { id: 'b', name: 'bob' },
    ]);
    expect(list.get('a')).toEqual({ id: 'a', name: 'anne' });
    expect(list.delete('b')).toEqual({ id: 'b', name: 'bob' });
    expect(list.delete('b')).toBeUndefined();
    expect(decode(list)).toEqual([{ id: 'a', name: 'anne' }]);
  });

  it('encodes only id and name, whatever else the record carries', () => {
    const user = { id: 'a', name: 'ann', token: 'secret' } as User;
    expect(decode(new MemberList([user]))).toEqual([{ id: 'a', name: 'ann' }]);
  });

  it('shares the bytes of blocks a change did not touch', () => {
    const list = new MemberList();
    for (let i = 0; i < 1000; i++) list.set({ id: `u${i}`, name: `n${i}` });
    const before = list.encoded();
    list.set({ id: 'new', name: 'newcomer' });
    const after = list.encoded();
    const shared = after.filter((chunk) => before.includes(chunk) && chunk.length > 1);
    // 1,000 members fill 7 full blocks of 128 and part of an 8th; only that one is re-encoded.
    expect(shared.length).toBe(7);
  });

  it('always encodes exactly its members, in order, under random adds, renames and removals', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), id: fc.integer({ min: 0, max: 400 }), name: fc.string() }),
      fc.record({ op: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
        const list = new MemberList();
        const model = new Map<string, User>();
        for (const o of ops) {
          const id = `u_${o.id}`;
          if (o.op === 'set') {
            list.set({ id, name: o.name });
            model.set(id, { id, name: o.name });
          } else {
            expect(list.delete(id)).toEqual(model.get(id));
            model.delete(id);
          }
        }
        expect(list.size).toBe(model.size);
        expect(list.values()).toEqual([...model.values()]);
        expect(decode(list)).toEqual([...model.values()]);
      }),
      { numRuns: 200 },
    );
  });
});

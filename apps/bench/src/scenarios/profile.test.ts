import { describe, expect, it } from 'vitest';

import { summariseProfile } from './profile.js';

describe('summariseProfile', () => {
  it('adds up self time per function over the samples within the window only', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
    const profile = {
      startTime: 1000,
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('emit', 'file:///x/apps/server/dist/chat/room.js') },
        { id: 3, callFrame: frame('writev') },
      ],
      // Sample times: 1100, 1200, 1300, 1400, 1500.
      samples: [2, 3, 3, 2, 3],
      timeDeltas: [100, 100, 100, 100, 100],
    };
    const { totalMs, top } = summariseProfile(profile, { from: 1150, to: 1450 });
    expect(totalMs).toBeCloseTo(0.3);
    expect(top.map((e) => [e.functionName, e.selfPercent])).toEqual([
      ['writev', 66.7],
      ['emit', 33.3],
    ]);
    expect(top[1]?.location).toBe('apps/server/dist/chat/room.js:1');
  });
});

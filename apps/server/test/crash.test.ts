/**
 * PROTOCOL.md › Messages: "A message that was acked is never lost: not by a
 * reconnect, not by the server being killed", and the idempotent resend that
 * makes that work without duplicates.
 *
 * The server runs as a child process (main.ts) and is SIGKILLed twice while
 * five clients stream messages into one room. After each restart every client
 * does what PROTOCOL.md › Reconnect says: hello with its token, join, resend
 * every unacked send with its original id. At the end the whole history is read
 * back and checked against what was acked.
 */
import { expect, it } from 'vitest';

import { launchServer, NO_RATE_LIMIT } from './helpers/child.js';
import { readRoom } from './helpers/client.js';
import { waitFor } from './helpers/metrics.js';
import { ackedCount, makeSenders, unackedCount } from './helpers/sender.js';

const ROOM = 'crash';
const SENDERS = 5;
const WINDOW = 8; // sends in flight per client
const KILL_AFTER_ACKS = [300, 300]; // acks within each cycle before SIGKILL
const TAIL = 40; // new sends per client after the last restart

it('loses no acked message and duplicates none across two SIGKILLs', { timeout: 60_000 }, async () => {
  const started = Date.now();
  const server = await launchServer(NO_RATE_LIMIT);
  const { wsUrl } = server;
  const senders = makeSenders(SENDERS, [ROOM], WINDOW);
  await Promise.all(senders.map((s) => s.resume(wsUrl)));
  const cycles: string[] = [];

  for (const [cycle, killAfter] of KILL_AFTER_ACKS.entries()) {
    const target = ackedCount(senders) + killAfter;
    let killed = false;
    const pumps = Promise.all(senders.map((s) => s.pump(() => killed)));
    await waitFor(
      () => (ackedCount(senders) >= target ? true : undefined),
      15_000,
      `${killAfter} acks in cycle ${cycle + 1}`,
      5,
    );
    killed = true;
    expect((await server.kill('SIGKILL')).signal).toBe('SIGKILL');
    await pumps;
    const inFlight = unackedCount(senders);
    const ackedAtKill = ackedCount(senders);

    await server.restart();
    // What survived the kill, before anyone resends.
    const { latest: storedAfterKill } = await readRoom(wsUrl, ROOM);
    await Promise.all(senders.map((s) => s.resume(wsUrl)));
    const resentAlreadyStored =
      senders.reduce(
        (n, s) => n + [...s.acked.values()].filter(({ seq }) => seq <= storedAfterKill).length,
        0,
      ) - ackedAtKill;
    cycles.push(
      `cycle ${cycle + 1}: acked at kill ${ackedAtKill}, in flight ${inFlight} ` +
        `(stored but unacked ${resentAlreadyStored}, stored on resend ${inFlight - resentAlreadyStored}), ` +
        `stored after restart ${storedAfterKill}`,
    );
  }

  await Promise.all(senders.map((s) => s.pump(() => false, TAIL)));
  const { latest, messages } = await readRoom(wsUrl, ROOM);
  await server.kill('SIGTERM');

  const count = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.from.id}/${m.id}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const byKey = new Map(messages.map((m) => [`${m.from.id}/${m.id}`, m]));
  let acked = 0;
  const lost: string[] = [];
  const seqMismatch: string[] = [];
  for (const s of senders) {
    for (const [id, { seq }] of s.acked) {
      acked += 1;
      const stored = byKey.get(`${s.userId}/${id}`);
      if (!stored) lost.push(id);
      else if (stored.seq !== seq) seqMismatch.push(`${id}: acked ${seq}, stored ${stored.seq}`);
      else if (stored.text !== s.sent.get(id)?.text) seqMismatch.push(`${id}: text differs`);
    }
  }
  const duplicated = [...count.entries()].filter(([, n]) => n > 1).map(([key, n]) => `${key}×${n}`);
  const unackedAtEnd = unackedCount(senders);
  const seqs = messages.map((m) => m.seq);
  const ackMismatches = senders.flatMap((s) => s.mismatches);

  console.log(
    [
      ...cycles,
      `crash test: acked ${acked}, stored ${messages.length} (latest seq ${latest}), ` +
        `lost ${lost.length}, duplicated ${duplicated.length}, unacked at end ${unackedAtEnd}, ` +
        `ack/seq mismatches ${seqMismatch.length + ackMismatches.length}, ${Date.now() - started} ms`,
    ].join('\n'),
  );

  expect(lost, 'acked ids missing from history').toEqual([]);
  expect(duplicated, 'ids stored more than once').toEqual([]);
  expect(seqMismatch, 'stored message differs from its ack').toEqual([]);
  expect(ackMismatches, 'a resend was acked with another seq').toEqual([]);
  expect(seqs, 'seqs 1..N without gaps').toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  expect(unackedAtEnd).toBe(0);
  expect(messages.length).toBe(acked);
});

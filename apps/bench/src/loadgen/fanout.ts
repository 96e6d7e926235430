/**
 * Fan-out load: a few senders in one room, every client receiving. Open loop
 * at a fixed message rate (latency at a known offered load), or closed loop
 * with at most `windowMessages` messages not yet delivered to every client
 * (deliveries per second at saturation, without unbounded queues anywhere).
 */
import type { ChatClient } from '../client/chat-client.js';
import { makeText, nowMicros, readSentAt } from '../client/payload.js';
import { Samples } from '../metrics/samples.js';
import type { FanoutArgs, FanoutResult } from './commands.js';
import type { Fleet } from './fleet.js';
import { nextSendId } from './ids.js';

const TICK_MS = 1;

export async function runFanout(fleet: Fleet, args: FanoutArgs): Promise<FanoutResult> {
  const senders = fleet.clients.slice(0, args.senders).filter((c) => c.joined);
  if (senders.length === 0) throw new Error('no sender is connected');
  const recipients = fleet.clients.filter((c) => c.joined).length;
  const samples = new Samples();
  const start = performance.now();
  const warmEnd = start + args.warmupMs;
  const end = warmEnd + args.durationMs;
  const warmEndMicros = warmEnd * 1000;
  const base = fleet.deliveries;
  let sent = 0;
  let refused = 0;
  fleet.hooks = {
    message: (_client, buf, from, to) => {
      const sentAt = readSentAt(buf, from, to);
      if (sentAt >= warmEndMicros) samples.add((nowMicros() - sentAt) / 1000);
    },
    refused: () => {
      refused++;
    },
  };
  const sendOne = (): void => {
    const sender = senders[sent % senders.length] as ChatClient;
    sender.send(nextSendId('f'), makeText(nowMicros(), sent));
    sent++;
  };
  let measuredFrom = -1;
  let measuredAt = 0;
  let measuredTo = 0;
  let stoppedAt = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (measuredFrom < 0 && now >= warmEnd) {
        measuredFrom = fleet.deliveries;
        measuredAt = now;
      }
      if (now >= end) {
        clearInterval(timer);
        measuredTo = fleet.deliveries;
        stoppedAt = now;
        resolve();
        return;
      }
      if (args.messagesPerSec !== undefined) {
        const due = Math.floor(((now - start) / 1000) * args.messagesPerSec);
        while (sent < due) sendOne();
      } else {
        const limit = args.windowMessages * recipients;
        // Bounded per tick, so a stalled server cannot make this loop spin.
        for (
          let i = 0;
          i < args.windowMessages && sent * recipients - (fleet.deliveries - base) < limit;
          i++
        ) {
          sendOne();
        }
      }
    }, TICK_MS);
  });
  const drainUntil = performance.now() + args.drainMs;
  while (fleet.deliveries - base < sent * recipients && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  fleet.hooks = {};
  const measuredSeconds = (stoppedAt - measuredAt) / 1000;
  return {
    sent,
    recipients,
    deliveriesPerSec: measuredSeconds > 0 ? (measuredTo - measuredFrom) / measuredSeconds : 0,
    measuredSeconds,
    deliveredFraction: sent === 0 ? 0 : (fleet.deliveries - base) / (sent * recipients),
    latencyMs: samples.summary(),
    clientsOpen: fleet.openCount,
    refused,
  };
}

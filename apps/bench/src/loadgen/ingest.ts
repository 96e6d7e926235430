/**
 * Durable ingest: every client sends and waits for acks. Open loop at a fixed
 * rate (capped per sender at `maxInFlightPerSender` unacked, past which a due
 * send is skipped and counted), or one burst of `burst` sends per sender.
 */
import type { ChatClient } from '../client/chat-client.js';
import { makeText, nowMicros } from '../client/payload.js';
import { Samples } from '../metrics/samples.js';
import type { IngestArgs, IngestResult } from './commands.js';
import type { Fleet } from './fleet.js';
import { nextSendId } from './ids.js';

const TICK_MS = 1;

export async function runIngest(fleet: Fleet, args: IngestArgs): Promise<IngestResult> {
  const senders = fleet.clients.filter((c) => c.joined);
  if (senders.length === 0) throw new Error('no sender is connected');
  const inFlight = new Map<ChatClient, Map<string, number>>(senders.map((c) => [c, new Map()]));
  const samples = new Samples();
  const refusals: Record<string, number> = {};
  const start = performance.now();
  const warmEnd = args.burst > 0 ? start : start + args.warmupMs;
  const end = args.burst > 0 ? start : warmEnd + args.durationMs;
  let sent = 0;
  let acked = 0;
  let ackedInWindow = 0;
  let refused = 0;
  let skipped = 0;
  let lastAckAt = start;
  fleet.hooks = {
    ack: (client, id) => {
      const pending = inFlight.get(client);
      const sentAt = pending?.get(id);
      if (pending === undefined || sentAt === undefined) return;
      pending.delete(id);
      const now = performance.now();
      acked++;
      lastAckAt = now;
      if (sentAt >= warmEnd) samples.add(now - sentAt);
      if (now >= warmEnd && now <= end) ackedInWindow++;
    },
    refused: (client, id, code) => {
      if (id !== undefined) inFlight.get(client)?.delete(id);
      refused++;
      refusals[code] = (refusals[code] ?? 0) + 1;
    },
  };
  const sendFrom = (sender: ChatClient): void => {
    const pending = inFlight.get(sender) as Map<string, number>;
    if (args.burst === 0 && pending.size >= args.maxInFlightPerSender) {
      skipped++;
      return;
    }
    const id = nextSendId('i');
    pending.set(id, performance.now());
    sender.send(id, makeText(nowMicros(), sent));
    sent++;
  };
  const outstanding = (): number => {
    let n = 0;
    for (const pending of inFlight.values()) n += pending.size;
    return n;
  };

  if (args.burst > 0) {
    for (const sender of senders) for (let i = 0; i < args.burst; i++) sendFrom(sender);
  } else {
    let due = 0;
    let offered = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        due = Math.floor(((now - start) / 1000) * args.messagesPerSec);
        while (offered < due) sendFrom(senders[offered++ % senders.length] as ChatClient);
      }, TICK_MS);
    });
  }
  const drainUntil = performance.now() + args.drainMs;
  while (outstanding() > 0 && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  fleet.hooks = {};
  const measuredSeconds = args.burst > 0 ? (lastAckAt - start) / 1000 : args.durationMs / 1000;
  return {
    sent,
    acked,
    refused,
    skipped,
    unacked: outstanding(),
    ackedPerSec: measuredSeconds > 0 ? (args.burst > 0 ? acked : ackedInWindow) / measuredSeconds : 0,
    measuredSeconds,
    ackMs: samples.summary(),
    refusals,
  };
}

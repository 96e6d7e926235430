/** Assertions about what people see, polled until they hold or time out. */
import { expect } from 'vitest';

import type { Person } from './person';

/** How long a change on the page itself (typing, a click, a status) may take to show. */
export const UI_MS = 5_000;
/** How long a delivery may take, reconnects with backoff included. */
export const DELIVERY_MS = 20_000;
/** After everything arrived, a late duplicate (a resend, a resumed page) would show within this. */
const SETTLE_MS = 1500;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` read right after its author's name (and the time, on a group's first message). */
export function saidBy(author: string, text: string): RegExp {
  const time = String.raw`(?:\s+\d{1,2}:\d{2}\s*[AP]M)?`;
  return new RegExp(String.raw`(?:^|\s)${escapeRegExp(author)}${time}\s+${escapeRegExp(text)}(?:\s|$)`);
}

/** `text` followed by its "Sending…" state in the log's reading order. */
export function pending(text: string): RegExp {
  return new RegExp(String.raw`${escapeRegExp(text)}\s+Sending…`);
}

export async function expectConnected(person: Person, timeout = DELIVERY_MS): Promise<void> {
  await expect
    .poll(() => person.statusText(), { timeout, message: `${person.name}'s connection status` })
    .toMatch(/^Connected/);
}

/** A message as people see it: who wrote it, and what. */
export interface Said {
  author: string;
  text: string;
}

/**
 * Every message is shown exactly once to every one of `people`, after its
 * author's name, and nothing is still sending; and it stays that way a moment
 * later (a late resend or resume would show a second copy by then).
 */
export async function expectShownOnce(people: readonly Person[], messages: readonly Said[]): Promise<void> {
  const check = async (timeout: number) => {
    for (const person of people) {
      for (const { author, text } of messages) {
        await expect
          .poll(() => person.count(text), { timeout, message: `"${text}" in ${person.name}'s log` })
          .toBe(1);
        await expect
          .poll(() => person.transcript(), { timeout, message: `${author} shown with "${text}"` })
          .toMatch(saidBy(author, text));
      }
      await expect
        .poll(() => person.log.getByText('Sending…').count(), {
          timeout,
          message: `messages still sending in ${person.name}'s log`,
        })
        .toBe(0);
    }
  };
  await check(DELIVERY_MS);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await check(1000);
}

/** `texts`, all by `author`. */
export function by(author: string, ...texts: string[]): Said[] {
  return texts.map((text) => ({ author, text }));
}

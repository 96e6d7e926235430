/**
 * A room's members with their JSON kept encoded in blocks. Every `joined`
 * answer carries the whole member list (docs/protocol.md), which in a room of
 * 5,000 is about 225 KB: encoding it for each join made filling a big room
 * O(N²) in CPU, and the 225 KB buffers left the process's malloc heap
 * fragmented long after. Here a join re-encodes at most the block that
 * changed, and every answer shares the other blocks' bytes.
 */
import type { User } from '@tether/protocol';

import { NameOrder, type NamePage } from './name-order.js';

/** Members per block: small enough to re-encode on each change, big enough to keep the chunk count low. */
const BLOCK_SIZE = 128;

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

interface Block {
  users: User[];
  /** `users` as JSON array items (no brackets), or undefined until asked for again. */
  bytes: Buffer | undefined;
}

/** Members as one JSON array in chunks, and where the pages go on after them (if more follow). */
export interface EncodedPage {
  chunks: Buffer[];
  next: string | undefined;
}

export class MemberList {
  private readonly blocks: Block[] = [];
  private readonly blockOf = new Map<string, Block>();
  /** The same members in name order, for pages and search (big rooms). */
  private readonly byName = new NameOrder();
  /** The first page by name as JSON array chunks, until a change reaches it. */
  private firstPage: { limit: number; page: EncodedPage } | undefined;

  constructor(users: Iterable<User> = []) {
    for (const user of users) this.set(user);
  }

  get size(): number {
    return this.blockOf.size;
  }

  get(userId: string): User | undefined {
    return this.blockOf.get(userId)?.users.find((user) => user.id === userId);
  }

  has(userId: string): boolean {
    return this.blockOf.has(userId);
  }

  /** Adds the user, or replaces the record of the same id. */
  set(user: User): void {
    const block = this.blockOf.get(user.id);
    if (block) {
      const at = block.users.findIndex((u) => u.id === user.id);
      const previous = block.users[at] as User;
      block.users[at] = user;
      block.bytes = undefined;
      this.reorder(this.byName.remove(previous));
      this.reorder(this.byName.add(user));
      return;
    }
    this.reorder(this.byName.add(user));
    let last = this.blocks.at(-1);
    if (!last || last.users.length >= BLOCK_SIZE) {
      last = { users: [], bytes: undefined };
      this.blocks.push(last);
    }
    last.users.push(user);
    last.bytes = undefined;
    this.blockOf.set(user.id, last);
  }

  /** Removes the user; returns their record, or undefined if absent. */
  delete(userId: string): User | undefined {
    const block = this.blockOf.get(userId);
    if (!block) return undefined;
    this.blockOf.delete(userId);
    const at = block.users.findIndex((u) => u.id === userId);
    const [user] = block.users.splice(at, 1);
    block.bytes = undefined;
    if (block.users.length === 0) this.blocks.splice(this.blocks.indexOf(block), 1);
    if (user) this.reorder(this.byName.remove(user));
    return user;
  }

  /**
   * A change at `position` of the name order: the cached first page is stale
   * if it reached there (or just past it: whether more follow may change).
   */
  private reorder(position: number): void {
    if (this.firstPage && position >= 0 && position <= this.firstPage.limit) this.firstPage = undefined;
  }

  /** A page of members in name order (see NameOrder.page). */
  page(prefix: string, after: string | undefined, limit: number): NamePage {
    return this.byName.page(prefix, after, limit);
  }

  /** The first `limit` members by name as one JSON array in chunks (a big room's `joined`). */
  encodedFirstPage(limit: number): EncodedPage {
    if (this.firstPage?.limit !== limit) {
      const { members, next } = this.byName.page('', undefined, limit);
      const json = members.map(({ id, name }) => JSON.stringify({ id, name })).join(',');
      this.firstPage = { limit, page: { chunks: [OPEN, Buffer.from(json), CLOSE], next } };
    }
    return this.firstPage.page;
  }

  /** Every member, in the order they were added. */
  values(): User[] {
    return this.blocks.flatMap((block) => block.users);
  }

  /** The members as one JSON array, in chunks to be written in order (most shared with earlier answers). */
  encoded(): Buffer[] {
    const chunks: Buffer[] = [OPEN];
    this.blocks.forEach((block, i) => {
      if (i > 0) chunks.push(COMMA);
      block.bytes ??= Buffer.from(block.users.map(({ id, name }) => JSON.stringify({ id, name })).join(','));
      chunks.push(block.bytes);
    });
    chunks.push(CLOSE);
    return chunks;
  }
}

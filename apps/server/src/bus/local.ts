import type { Message } from '@tether/protocol';

import type { Bus, BusHandler } from './types.js';

/** The single-process bus: publishing is delivering. */
export class LocalBus implements Bus {
  private readonly handlers: BusHandler[] = [];

  publish(message: Message): void {
    for (const handler of this.handlers) handler(message);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  close(): Promise<void> {
    this.handlers.length = 0;
    return Promise.resolve();
  }
}

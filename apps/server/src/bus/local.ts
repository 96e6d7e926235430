import { randomId } from '../store/ids.js';
import type { Bus, BusEvent, BusHandler } from './types.js';

/** The single-process bus: publishing is delivering. */
export class LocalBus implements Bus {
  readonly nodeId = randomId('n');
  private readonly handlers: BusHandler[] = [];

  publish(event: BusEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handlers.length = 0;
    return Promise.resolve();
  }
}

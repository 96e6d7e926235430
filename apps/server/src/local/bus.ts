/**
 * The bus of a single process. A process delivers its own commits and
 * typing to its own connections directly, so with no other process there is
 * nobody to tell: publishing does nothing, and no event ever arrives.
 */
import type { Bus, BusEvent, BusListener } from '../chat/ports.js';

export class LocalBus implements Bus {
  publish(_event: BusEvent): void {
    // No other process.
  }

  subscribe(_listener: BusListener): void {
    // Nothing ever arrives.
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Fan-out between server processes. A process publishes each committed
 * message once; every process (itself included) hands it to its local room.
 * In one process this is a direct call; with Redis it crosses processes.
 */
import type { Message } from '@tether/protocol';

export type BusHandler = (message: Message) => void;

export interface Bus {
  publish(message: Message): void;
  subscribe(handler: BusHandler): void;
  close(): Promise<void>;
}

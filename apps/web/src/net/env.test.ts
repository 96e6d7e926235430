import { describe, expect, it, vi } from 'vitest';

import { browserEnvironment, socketUrl } from './env';

describe('browserEnvironment', () => {
  it('relays online, offline, visible and pagehide until unsubscribed', () => {
    const env = browserEnvironment();
    const handlers = { online: vi.fn(), offline: vi.fn(), visible: vi.fn(), pagehide: vi.fn() };
    const unsubscribe = env.subscribe(handlers);
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('pagehide'));
    document.dispatchEvent(new Event('visibilitychange'));
    expect(handlers.online).toHaveBeenCalledOnce();
    expect(handlers.offline).toHaveBeenCalledOnce();
    expect(handlers.pagehide).toHaveBeenCalledOnce();
    expect(handlers.visible).toHaveBeenCalledOnce();

    unsubscribe();
    window.dispatchEvent(new Event('online'));
    document.dispatchEvent(new Event('visibilitychange'));
    expect(handlers.online).toHaveBeenCalledOnce();
    expect(handlers.visible).toHaveBeenCalledOnce();
  });

  it('reports the browser state', () => {
    const env = browserEnvironment();
    expect(env.isOnline()).toBe(navigator.onLine);
    expect(env.isVisible()).toBe(document.visibilityState !== 'hidden');
  });
});

describe('socketUrl', () => {
  it('uses ws on http and wss on https, with the page host and /ws', () => {
    expect(socketUrl({ protocol: 'http:', host: 'localhost:5173' })).toBe('ws://localhost:5173/ws');
    expect(socketUrl({ protocol: 'https:', host: 'chat.example' })).toBe('wss://chat.example/ws');
  });
});

import { StrictMode, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { UpdateToast } from './components/UpdateToast';
import { browserLocale, I18nProvider, loadMessages } from './i18n';
import type { I18n } from './i18n';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no element with id "root"');

const locale = browserLocale();
document.documentElement.lang = locale;

// ---------------------------------------------------------------- service worker
//
// vite-plugin-pwa generates /sw.js, which precaches the built app, so a reload
// while the server is unreachable still opens the chat (with what the client
// kept in storage). It is registered here, from this module: the server's CSP
// (`script-src 'self'`) rules out the plugin's inline registration. Not through
// `virtual:pwa-register`: that pulls workbox-window (2.3 kB gzipped) into the
// page load for the few lines below, and the first load is held to 110,000 B
// of JavaScript gzipped (e2e/initial-js.e2e.ts).
//
// A new version waits (registerType 'prompt') until the person chooses
// "Reload", rather than reloading the page under them mid-sentence; the
// generated worker answers `SKIP_WAITING` by taking over.

let applyUpdate: (() => void) | null = null;
const listeners = new Set<() => void>();
function offerUpdate(apply: (() => void) | null) {
  applyUpdate = apply;
  for (const listener of listeners) listener();
}

async function registerServiceWorker(): Promise<void> {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const offer = (worker: ServiceWorker) => {
    offerUpdate(() => {
      navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), {
        once: true,
      });
      worker.postMessage({ type: 'SKIP_WAITING' });
    });
  };
  // Without a controller this is the first install, not an update.
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  // A chat tab stays open for days: look for a new version now and then.
  setInterval(() => void registration.update().catch(() => undefined), 60 * 60_000);
}

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  // After the page has loaded, so the precache does not compete with it.
  const register = () => {
    registerServiceWorker().catch((error: unknown) => {
      console.warn('tether: service worker not registered', error);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

function Root({ i18n }: { i18n: I18n }) {
  const update = useSyncExternalStore(subscribe, () => applyUpdate);
  return (
    <I18nProvider value={i18n}>
      <App />
      {update && <UpdateToast onReload={update} onDismiss={() => offerUpdate(null)} />}
    </I18nProvider>
  );
}

// Rendered once the strings are here (Chinese is a chunk of its own), with
// `then` rather than a top-level `await`: one in the entry module turns off
// Rolldown's chunk optimisations, and its runtime helpers then took a file of
// their own in the first load (one request and about 100 B gzipped more).
void loadMessages(locale).then((t) => {
  createRoot(container).render(
    <StrictMode>
      <Root i18n={{ locale, t }} />
    </StrictMode>,
  );
});

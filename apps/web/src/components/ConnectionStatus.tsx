import { useEffect, useState } from 'react';

import type { ConnectionStatus as Status } from '../state/types';
import { useI18n } from '../i18n';

export interface ConnectionStatusProps {
  status: Status;
  rttMs: number | null;
  onRetryNow: () => void;
  /** The clock `status.retryAt` is on: monotonic. @default performance.now */
  now?: () => number;
}

/**
 * "Reconnecting in 3 s", ticking a few times a second so the number never
 * lags the real retry by most of a second. Keyed by the retry time by its
 * parent, so each countdown starts from a fresh clock.
 */
function Countdown({ until, now }: { until: number; now: () => number }) {
  const { t } = useI18n();
  const [time, setTime] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setTime(now()), 250);
    return () => clearInterval(timer);
  }, [now]);
  const seconds = Math.max(0, Math.ceil((until - time) / 1000));
  return (
    // A live region that changed every second would be read out every second:
    // the countdown is for the eyes, the ear hears "Reconnecting…" once.
    <>
      <span className="connection-label" aria-hidden="true">
        {seconds > 0 ? t.reconnectingIn(seconds) : t.reconnectingNow}
      </span>
      <span className="sr-only">{t.reconnectingNow}</span>
    </>
  );
}

const monotonicNow = (): number => performance.now();

/** A first connection that takes longer than this grows into a banner. */
const QUIET_CONNECT_MS = 1500;

/**
 * Whether a first connection (page load, after choosing a name) has been
 * going on long enough to deserve a banner. Until then it stays a small
 * indicator, so every page load does not push the conversation down and up.
 */
function useSlow(active: boolean): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setSlow(true), QUIET_CONNECT_MS);
    return () => {
      clearTimeout(timer);
      setSlow(false);
    };
  }, [active]);
  return slow;
}

/**
 * The one element (role `status`) that says what the connection is doing.
 * Connected, it is a small dot with the round-trip time; otherwise it grows
 * into a banner (the stylesheet moves it by `data-kind`) with a way to retry.
 * A single live region, so a screen reader hears each change once.
 */
export function ConnectionStatus({ status, rttMs, onRetryNow, now = monotonicNow }: ConnectionStatusProps) {
  const { t } = useI18n();
  let label: string | null = null;
  let detail: string | null = null;
  switch (status.kind) {
    case 'open':
      label = t.connected;
      break;
    case 'idle':
      label = t.connecting;
      break;
    case 'connecting':
      // While the attempts follow a restart hint, one failing and the next
      // starting must not flip the banner between two stories.
      label = status.restarting ? t.restarting : t.connecting;
      if (status.restarting) detail = t.queuedHint;
      break;
    case 'reconnecting':
      // A restarting server is back in a second or two: a countdown would
      // only say "1 s" over and over.
      if (status.restarting) label = t.restarting;
      detail = t.queuedHint;
      break;
    case 'offline':
      label = t.offline;
      detail = t.offlineHint;
      break;
    case 'failed':
      label = t.failed(status.code ? `${status.code}` : status.reason);
      break;
  }
  const canRetry = status.kind === 'reconnecting' || status.kind === 'offline';
  const firstConnect = status.kind === 'idle' || (status.kind === 'connecting' && status.attempt === 0);
  const slow = useSlow(firstConnect);
  const banner = status.kind !== 'open' && (!firstConnect || slow);

  return (
    <div className="connection" data-kind={status.kind} data-banner={banner || undefined} role="status">
      <span className="connection-dot" aria-hidden="true" />
      {status.kind === 'reconnecting' && !status.restarting ? (
        <Countdown key={status.retryAt} until={status.retryAt} now={now} />
      ) : (
        <span className="connection-label">{label}</span>
      )}
      {status.kind === 'open' && rttMs !== null && (
        <span className="connection-rtt" title={t.rttLabel}>
          <span className="sr-only">{`, ${t.rttLabel}: `}</span>
          {t.rtt(Math.round(rttMs))}
        </span>
      )}
      {canRetry && (
        <>
          <span className="connection-sep" aria-hidden="true">
            ·
          </span>
          <button type="button" className="link-button connection-retry" onClick={onRetryNow}>
            {t.retryNow}
          </button>
        </>
      )}
      {detail && <span className="connection-detail">{detail}</span>}
    </div>
  );
}

import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ConnectionStatus } from './ConnectionStatus';
import { renderWithLocale } from './test-utils';

afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectionStatus', () => {
  it('is a small "Connected" indicator with the round trip', () => {
    renderWithLocale(
      <ConnectionStatus status={{ kind: 'open', since: 0 }} rttMs={42.4} onRetryNow={vi.fn()} />,
    );
    const status = screen.getByRole('status');
    expect(status.textContent).toMatch(/^Connected/);
    expect(status).toHaveTextContent('42 ms');
    expect(status).toHaveAttribute('data-kind', 'open');
    expect(status).not.toHaveAttribute('data-banner');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('says Connecting…, quietly at first, as a banner when it takes a while', () => {
    vi.useFakeTimers();
    renderWithLocale(
      <ConnectionStatus status={{ kind: 'connecting', attempt: 0 }} rttMs={null} onRetryNow={vi.fn()} />,
    );
    const status = screen.getByRole('status');
    expect(status.textContent).toMatch(/^Connecting…/);
    expect(status).not.toHaveAttribute('data-banner');
    act(() => {
      vi.advanceTimersByTime(1600);
    });
    expect(status).toHaveAttribute('data-banner');
  });

  it('is a banner at once when connecting again after a failure', () => {
    renderWithLocale(
      <ConnectionStatus status={{ kind: 'connecting', attempt: 2 }} rttMs={null} onRetryNow={vi.fn()} />,
    );
    expect(screen.getByRole('status')).toHaveAttribute('data-banner');
  });

  it('counts down to the next attempt, with Retry now', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = 100_000;
    const onRetryNow = vi.fn();
    renderWithLocale(
      <ConnectionStatus
        status={{ kind: 'reconnecting', attempt: 2, retryAt: 103_000 }}
        rttMs={12}
        onRetryNow={onRetryNow}
        now={() => now}
      />,
    );
    const status = screen.getByRole('status');
    expect(status).toHaveAttribute('data-banner');
    expect(status.textContent).toMatch(/^Reconnecting in 3 s/);
    expect(status).not.toHaveTextContent('12 ms');
    expect(status).toHaveTextContent('kept and sent when the connection is back');

    now = 101_100;
    act(() => {
      vi.advanceTimersByTime(250);
    });
    expect(status.textContent).toMatch(/^Reconnecting in 2 s/);
    now = 103_000;
    act(() => {
      vi.advanceTimersByTime(250);
    });
    expect(status.textContent).toMatch(/^Reconnecting…/);

    vi.useRealTimers();
    await userEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetryNow).toHaveBeenCalledTimes(1);
  });

  it('says the server is restarting, without a countdown, while waiting and while trying', () => {
    const { rerender } = renderWithLocale(
      <ConnectionStatus
        status={{ kind: 'reconnecting', attempt: 1, retryAt: 1_200, restarting: true }}
        rttMs={null}
        onRetryNow={vi.fn()}
        now={() => 0}
      />,
    );
    const status = screen.getByRole('status');
    expect(status.textContent).toMatch(/^Server restarting… reconnecting/);
    expect(status).not.toHaveTextContent(/in \d s/);
    expect(status).toHaveAttribute('data-banner');
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeInTheDocument();

    rerender(
      <ConnectionStatus
        status={{ kind: 'connecting', attempt: 1, restarting: true }}
        rttMs={null}
        onRetryNow={vi.fn()}
      />,
    );
    expect(screen.getByRole('status').textContent).toMatch(/^Server restarting… reconnecting/);
  });

  it('says Offline when the browser is', () => {
    renderWithLocale(<ConnectionStatus status={{ kind: 'offline' }} rttMs={null} onRetryNow={vi.fn()} />);
    expect(screen.getByRole('status').textContent).toMatch(/^Offline/);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeInTheDocument();
  });

  it('says Offline, with the close code, when the server refused us for good', () => {
    renderWithLocale(
      <ConnectionStatus
        status={{ kind: 'failed', reason: 'policy', code: 1008 }}
        rttMs={null}
        onRetryNow={vi.fn()}
      />,
    );
    const status = screen.getByRole('status');
    expect(status.textContent).toMatch(/^Offline/);
    expect(status).toHaveTextContent('1008');
  });
});

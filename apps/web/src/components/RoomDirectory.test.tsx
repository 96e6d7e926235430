import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ROOM_SEARCH_DEBOUNCE_MS, RoomDirectory } from './RoomDirectory';
import type { RoomDirectoryProps } from './RoomDirectory';
import { renderWithLocale } from './test-utils';

const rooms = (...names: string[]) => names.map((name, i) => ({ name, members: i * 1000 }));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function renderDirectory(props: Partial<RoomDirectoryProps> = {}) {
  const all: RoomDirectoryProps = {
    rooms: rooms('alpha', 'beta', 'gamma'),
    joined: new Set(['beta']),
    hasMore: true,
    onSearch: vi.fn(),
    onMore: vi.fn(),
    onJoin: vi.fn(),
    ...props,
  };
  const view = renderWithLocale(<RoomDirectory {...all} />);
  return { props: all, ...view };
}

const listed = () =>
  within(screen.getByRole('list', { name: 'More rooms' }))
    .getAllByRole('button')
    .map((b) => b.getAttribute('aria-label'));

describe('RoomDirectory', () => {
  it('offers the rooms of the pages read, in name order, without those I am in', () => {
    const { props } = renderDirectory();
    expect(listed()).toEqual(['Join #alpha', 'Join #gamma']);
    expect(screen.getByRole('button', { name: 'Join #gamma' })).toHaveTextContent('2,000');
    fireEvent.click(screen.getByRole('button', { name: 'Join #alpha' }));
    expect(props.onJoin).toHaveBeenCalledWith('alpha');
  });

  it('asks for the next page with Show more rooms, while there is one', () => {
    const { props, rerender } = renderDirectory();
    fireEvent.click(screen.getByRole('button', { name: 'Show more rooms' }));
    expect(props.onMore).toHaveBeenCalledTimes(1);
    rerender(<RoomDirectory {...props} loading />);
    expect(screen.getByRole('button', { name: 'Loading…' })).toBeDisabled();
    rerender(<RoomDirectory {...props} rooms={rooms('alpha', 'beta', 'gamma', 'zeta')} hasMore={false} />);
    expect(listed()).toEqual(['Join #alpha', 'Join #gamma', 'Join #zeta']);
    expect(screen.queryByRole('button', { name: 'Show more rooms' })).not.toBeInTheDocument();
  });

  it('searches once typing pauses, and says when nothing matches', () => {
    const { props, rerender } = renderDirectory();
    const onSearch = vi.mocked(props.onSearch);
    onSearch?.mockClear();
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search rooms' }), { target: { value: 'zz' } });
    expect(onSearch).not.toHaveBeenCalled();
    act(() => {
      vi.advanceTimersByTime(ROOM_SEARCH_DEBOUNCE_MS);
    });
    expect(onSearch).toHaveBeenCalledExactlyOnceWith('zz');
    rerender(<RoomDirectory {...props} rooms={[]} hasMore={false} />);
    expect(screen.getByText('No room starts with “zz”.')).toBeInTheDocument();
  });

  it('says when a page could not be read, and offers to retry', () => {
    const { props } = renderDirectory({ error: 'rate_limited', hasMore: false });
    expect(screen.getByRole('alert')).toHaveTextContent('The server is busy');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(props.onMore).toHaveBeenCalledTimes(1);
  });

  it('is not there while there is nothing to offer and nothing searched', () => {
    renderDirectory({ rooms: rooms('beta'), hasMore: false });
    expect(screen.queryByRole('heading', { name: 'More rooms' })).not.toBeInTheDocument();
  });
});

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { normaliseRoomName, RoomList } from './RoomList';
import type { RoomListProps } from './RoomList';
import { renderWithLocale } from './test-utils';

function renderRooms(props: Partial<RoomListProps> = {}) {
  const all: RoomListProps = {
    rooms: [
      { name: 'general', unread: 0 },
      { name: 'random', unread: 3 },
    ],
    current: 'general',
    onSelect: vi.fn(),
    onJoin: vi.fn(),
    ...props,
  };
  renderWithLocale(<RoomList {...all} />);
  return all;
}

describe('RoomList', () => {
  it('is the Rooms navigation, marking the current room', () => {
    renderRooms();
    const nav = screen.getByRole('navigation', { name: 'Rooms' });
    expect(within(nav).getByRole('button', { name: 'general' })).toHaveAttribute('aria-current', 'page');
  });

  it('shows unread counts on other rooms', () => {
    renderRooms();
    const random = screen.getByRole('button', { name: /random/ });
    expect(random).toHaveAccessibleName('random, 3 unread messages');
    expect(within(random).getByText('3')).toBeInTheDocument();
  });

  it('switches rooms', async () => {
    const props = renderRooms();
    await userEvent.click(screen.getByRole('button', { name: /random/ }));
    expect(props.onSelect).toHaveBeenCalledWith('random');
  });

  it('joins (or creates) a room by name', async () => {
    const props = renderRooms();
    const input = screen.getByRole('textbox', { name: 'Room name' });
    await userEvent.type(input, '#Book Club');
    await userEvent.click(screen.getByRole('button', { name: 'Join room' }));
    expect(props.onJoin).toHaveBeenCalledWith('book-club');
    expect(input).toHaveValue('');
  });

  it('joins with Enter, and selects a room already joined', async () => {
    const props = renderRooms();
    await userEvent.type(screen.getByRole('textbox', { name: 'Room name' }), 'random{Enter}');
    expect(props.onJoin).not.toHaveBeenCalled();
    expect(props.onSelect).toHaveBeenCalledWith('random');
  });

  it('refuses a name the protocol would, and says why', async () => {
    const props = renderRooms();
    const input = screen.getByRole('textbox', { name: 'Room name' });
    await userEvent.type(input, 'no/slashes{Enter}');
    expect(props.onJoin).not.toHaveBeenCalled();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('alert')).toHaveTextContent('Lowercase letters, digits');
  });

  it('offers rooms from the directory that I am not in', async () => {
    const props = renderRooms({
      directory: {
        rooms: [
          { name: 'books', members: 2 },
          { name: 'general', members: 5 },
        ],
      },
    });
    expect(screen.queryByRole('button', { name: 'Join #general' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Join #books' }));
    expect(props.onJoin).toHaveBeenCalledWith('books');
  });

  it('normalises what people type', () => {
    expect(normaliseRoomName('  #Random  Stuff ')).toBe('random-stuff');
  });
});

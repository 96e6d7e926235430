import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { ChatLayout } from './ChatLayout';
import { renderWithLocale } from './test-utils';

beforeEach(() => {
  // jsdom has no matchMedia; the layout only listens for changes.
  vi.stubGlobal(
    'matchMedia',
    vi.fn(() => ({ matches: false, addEventListener: vi.fn(), removeEventListener: vi.fn() })),
  );
  return () => vi.unstubAllGlobals();
});

function renderLayout(room: string | null = 'general') {
  return renderWithLocale(
    <ChatLayout
      room={room}
      status={<div role="status">Connected</div>}
      rooms={<nav aria-label="Rooms">rooms</nav>}
      members={<ul aria-label="Members" />}
      memberCount={3}
    >
      <textarea id="composer-input" aria-label="Message" />
    </ChatLayout>,
  );
}

describe('ChatLayout', () => {
  it('shows the room as the heading', () => {
    renderLayout();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('general');
  });

  it('opens the rooms drawer from its toggle; Escape closes it and focus goes back', async () => {
    const { container } = renderLayout();
    const toggle = screen.getByRole('button', { name: 'Show rooms' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(container.querySelector('.shell')).toHaveAttribute('data-drawer', 'rooms');
    // The conversation behind an open drawer is inert; focus is in the drawer.
    expect(container.querySelector('main')).toHaveAttribute('inert');
    expect(document.activeElement?.closest('#rooms-panel')).not.toBeNull();

    await userEvent.keyboard('{Escape}');
    expect(container.querySelector('.shell')).not.toHaveAttribute('data-drawer');
    expect(container.querySelector('main')).not.toHaveAttribute('inert');
    expect(toggle).toHaveFocus();
  });

  it('opens the members drawer, and its Close button closes it', async () => {
    const { container } = renderLayout();
    const toggle = screen.getByRole('button', { name: 'Show members' });
    await userEvent.click(toggle);
    expect(container.querySelector('.shell')).toHaveAttribute('data-drawer', 'members');
    await userEvent.click(document.activeElement as HTMLElement);
    expect(container.querySelector('.shell')).not.toHaveAttribute('data-drawer');
    expect(toggle).toHaveFocus();
  });

  it('closes the rooms drawer when a room is picked', async () => {
    const { container, rerender } = renderLayout('general');
    await userEvent.click(screen.getByRole('button', { name: 'Show rooms' }));
    rerender(
      <ChatLayout room="random" status={null} rooms={null} members={null} memberCount={0}>
        {null}
      </ChatLayout>,
    );
    expect(container.querySelector('.shell')).not.toHaveAttribute('data-drawer');
  });

  it('has a skip link to the composer', () => {
    renderLayout();
    expect(screen.getByRole('link', { name: 'Skip to message box' })).toHaveAttribute(
      'href',
      '#composer-input',
    );
  });
});

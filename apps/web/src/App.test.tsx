import type { Message, ServerMessage, User } from '@tether/protocol';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from './App';
import { mockListLayout, renderWithLocale } from './components/test-utils';
import { FakeEnvironment, FakeFetch, MemoryStorage, fakeSocketFactory, silentLog } from './test/fakes';
import { alice, bob, joinedFrame, welcomeFrame } from './test/frames';

function message(room: string, seq: number, from: User, text: string, id = `m${seq}`): Message {
  return { room, seq, ts: Date.UTC(2025, 0, 15, 12, seq), id, from, text };
}

function setup() {
  const factory = fakeSocketFactory();
  const storage = new MemoryStorage();
  renderWithLocale(
    <App
      connection={{
        url: 'ws://chat.test/ws',
        WebSocket: factory.WebSocket,
        fetch: new FakeFetch().fetch,
        storage,
        environment: new FakeEnvironment(),
        log: silentLog,
      }}
    />,
  );
  const server = (frame: ServerMessage) => {
    act(() => {
      factory.last().deliver(frame);
    });
  };
  const welcome = () => {
    act(() => {
      factory.last().open();
    });
    server(welcomeFrame(alice, 't'));
  };
  const joined = (room: string, messages: Message[] = []) => {
    server(joinedFrame(room, messages));
  };
  return { factory, server, welcome, joined };
}

let restoreLayout: () => void;
beforeEach(() => {
  restoreLayout = mockListLayout();
  vi.stubGlobal(
    'matchMedia',
    vi.fn(() => ({ matches: false, addEventListener: vi.fn(), removeEventListener: vi.fn() })),
  );
});
afterEach(() => {
  restoreLayout();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('App', () => {
  it('goes from the name picker into #general, composer focused', async () => {
    const { welcome, joined, factory } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice');
    await userEvent.click(screen.getByRole('button', { name: 'Join chat' }));
    welcome();
    expect(
      factory
        .last()
        .framesOf('join')
        .map((f) => f.room),
    ).toEqual(['general']);
    joined('general', [message('general', 1, bob, 'welcome aboard')]);

    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('general');
    expect(screen.getByRole('status').textContent).toMatch(/^Connected/);
    expect(
      within(screen.getByRole('log', { name: 'Messages' })).getByText('welcome aboard'),
    ).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Members' })).getByText('bob')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveFocus();
  });

  it('explains a name that is taken', async () => {
    const { server, factory } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'bob');
    await userEvent.click(screen.getByRole('button', { name: 'Join chat' }));
    act(() => {
      factory.last().open();
    });
    server({ type: 'error', code: 'name_taken', message: 'taken' });
    expect(screen.getByRole('alert')).toHaveTextContent('“\u2068bob\u2069” is already taken');
  });

  it('shows a sent message as Sending… until the server has it', async () => {
    const { welcome, joined, server, factory } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice{Enter}');
    welcome();
    joined('general');
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'hello bob{Enter}');
    const log = screen.getByRole('log', { name: 'Messages' });
    expect(within(log).getByText('hello bob')).toBeInTheDocument();
    expect(within(log).getByText('Sending…')).toBeInTheDocument();

    const [send] = factory.last().framesOf('send');
    expect(send).toMatchObject({ room: 'general', text: 'hello bob' });
    server({ type: 'ack', room: 'general', id: send!.id, seq: 1, ts: Date.now() });
    server({ type: 'message', ...message('general', 1, alice, 'hello bob', send!.id) });
    expect(within(log).getByText('hello bob')).toBeInTheDocument();
    expect(within(log).queryByText('Sending…')).not.toBeInTheDocument();
  });

  it('keeps the composer working while reconnecting, and offers Retry now', async () => {
    const { welcome, joined, factory } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice{Enter}');
    welcome();
    joined('general');
    act(() => {
      factory.last().serverClose(1006);
    });
    expect(screen.getByRole('status').textContent).toMatch(/^Reconnecting/);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeInTheDocument();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'queued{Enter}');
    expect(within(screen.getByRole('log')).getByText('queued')).toBeInTheDocument();
    expect(within(screen.getByRole('log')).getByText('Sending…')).toBeInTheDocument();
  });

  it('switches rooms, keeping unread counts for the others', async () => {
    const { welcome, joined, server } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice{Enter}');
    welcome();
    joined('general');
    await userEvent.type(screen.getByRole('textbox', { name: 'Room name' }), 'random{Enter}');
    joined('random');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('random');
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveAttribute(
      'placeholder',
      'Message #random',
    );

    server({ type: 'message', ...message('general', 1, bob, 'psst') });
    const rooms = screen.getByRole('navigation', { name: 'Rooms' });
    expect(within(rooms).getByRole('button', { name: /^general\W+1 unread message$/ })).toBeInTheDocument();

    await userEvent.click(within(rooms).getByRole('button', { name: /^general/ }));
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('general');
    expect(within(screen.getByRole('log')).getByText('psst')).toBeInTheDocument();
    expect(within(rooms).getByRole('button', { name: 'general' })).toHaveAttribute('aria-current', 'page');
  });

  it("pages through a big room's members and the rooms directory", async () => {
    const { welcome, server, factory } = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice{Enter}');
    welcome();
    const people = Array.from({ length: 100 }, (_, i) => ({ id: `u_${i}`, name: `bot${i}` }));
    server(joinedFrame('general', [], { members: people, memberCount: 520 }));
    const socket = factory.last();
    await waitFor(() =>
      expect(socket.framesOf('members')).toEqual([{ type: 'members', room: 'general', limit: 100 }]),
    );
    server({ type: 'members', room: 'general', members: people, count: 520, hasMore: true, next: 'n1' });
    expect(screen.getByText('Showing 100 of 520 members')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Show more members' }));
    expect(socket.framesOf('members').at(-1)).toEqual({
      type: 'members',
      room: 'general',
      limit: 100,
      after: 'n1',
    });

    expect(socket.framesOf('rooms')).toEqual([{ type: 'rooms', limit: 20 }]);
    server({ type: 'rooms', rooms: [{ name: 'books', members: 3, seq: 1 }], hasMore: true });
    await userEvent.click(screen.getByRole('button', { name: 'Show more rooms' }));
    expect(socket.framesOf('rooms').at(-1)).toEqual({ type: 'rooms', limit: 20, after: 'books' });
  });
});

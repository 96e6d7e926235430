/**
 * The rendering budget of changes (issue 14): an `update` to one message of a
 * 10,000-message room re-renders that message's row and no other. Rows are
 * counted by their text component (mocked here to count, then render as
 * usual): it renders once per render of its row. Checked for the list given
 * a timeline with one message replaced, and end to end: the `update` frame
 * through the client, the store and the selectors into the whole app.
 */
import type { Message } from '@tether/protocol';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import type { MessageView } from '../../state/selectors';
import { FakeEnvironment, FakeFetch, MemoryStorage, fakeSocketFactory, silentLog } from '../../test/fakes';
import { joinedFrame, welcomeFrame } from '../../test/frames';
import { loadMarkdown } from '../markdown/loader';
import type * as MessageTextModule from '../MessageText';
import { MessageList } from '../MessageList';
import type { MessageActionHandlers } from '../MessageList';
import { alice, bob, entry, mockListLayout, renderWithLocale } from '../test-utils';

const renders = vi.hoisted(() => new Map<string, number>());

vi.mock('../MessageText', async (importOriginal) => {
  const original = await importOriginal<typeof MessageTextModule>();
  return {
    ...original,
    MessageText: (props: { text: string }) => {
      renders.set(props.text, (renders.get(props.text) ?? 0) + 1);
      return <original.MessageText {...props} />;
    },
  };
});

const actions: MessageActionHandlers = {
  changes: true,
  reply: vi.fn(),
  startEdit: vi.fn(),
  saveEdit: vi.fn(),
  cancelEdit: vi.fn(),
  askDelete: vi.fn(),
  react: vi.fn(),
  nameOf: () => null,
};
const onLoadOlder = vi.fn();
const onRetry = vi.fn();
const onDiscard = vi.fn();

describe('rendering budget', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
    renders.clear();
  });
  afterEach(() => {
    restoreLayout();
    vi.unstubAllGlobals();
  });

  it('an update in a 10,000-message room re-renders only the changed row', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      entry({ text: `message ${i}`, from: i % 3 === 0 ? alice : bob, seq: i + 1 }),
    );
    let setEntries: (entries: MessageView[]) => void = () => undefined;
    function Room() {
      const [entries, set] = useState(many);
      setEntries = set;
      return (
        <MessageList
          room="general"
          entries={entries}
          hasMore={false}
          loadingOlder={false}
          onLoadOlder={onLoadOlder}
          onRetry={onRetry}
          onDiscard={onDiscard}
          actions={actions}
        />
      );
    }
    renderWithLocale(<Room />);
    // It opens at the newest message.
    await waitFor(() => expect(screen.getByText('message 9999')).toBeInTheDocument());
    const target = 9_998;
    expect(screen.getByText('message 9998')).toBeInTheDocument();

    renders.clear();
    const next = [...many];
    next[target] = {
      ...many[target]!,
      text: 'changed',
      edited: 1,
      reactions: [{ emoji: '👍', count: 1, users: [bob.id], mine: false }],
    };
    act(() => setEntries(next));

    expect(screen.getByText('changed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '👍 1' })).toBeInTheDocument();
    expect([...renders.entries()]).toEqual([['changed', 1]]);
  });

  it('an update frame in a 10,000-message room re-renders only its row, through the client and the store', async () => {
    vi.stubGlobal(
      'matchMedia',
      vi.fn(() => ({ matches: false, addEventListener: vi.fn(), removeEventListener: vi.fn() })),
    );
    const factory = fakeSocketFactory();
    renderWithLocale(
      <App
        connection={{
          url: 'ws://chat.test/ws',
          WebSocket: factory.WebSocket,
          fetch: new FakeFetch().fetch,
          storage: new MemoryStorage(),
          environment: new FakeEnvironment(),
          log: silentLog,
        }}
      />,
    );
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'alice');
    await userEvent.click(screen.getByRole('button', { name: 'Join chat' }));
    const room: Message[] = Array.from({ length: 10_000 }, (_, i) => ({
      room: 'general',
      seq: i + 1,
      ts: Date.UTC(2025, 0, 15, 12) + i * 1000,
      id: `m${i + 1}`,
      from: i % 3 === 0 ? alice : bob,
      text: `message ${i}`,
    }));
    act(() => {
      const socket = factory.last();
      socket.open();
      // A server that serves changes: every row has its actions.
      socket.deliver(welcomeFrame(alice, 't', { features: ['changes'] }));
      socket.deliver(joinedFrame('general', room));
    });
    await waitFor(() => expect(screen.getByText('message 9999')).toBeInTheDocument());
    // What arrives on its own after the room shows (the Markdown parser, the
    // message tools) re-renders rows; the count starts once it is here.
    await act(async () => {
      await loadMarkdown();
    });
    await waitFor(() =>
      expect(screen.getAllByRole('button', { name: 'Add reaction' }).length).toBeGreaterThan(0),
    );
    expect(screen.getByText('message 9998')).toBeInTheDocument();

    renders.clear();
    const target = room[9_998]!;
    act(() => {
      factory.last().deliver({
        type: 'update',
        room: 'general',
        seq: 10_001,
        message: {
          ...target,
          rev: 10_001,
          text: 'changed',
          edited: target.ts + 60_000,
          reactions: [{ emoji: '👍', count: 1, users: [bob.id] }],
        },
      });
    });

    expect(screen.getByText('changed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '👍 1' })).toBeInTheDocument();
    expect([...renders.entries()]).toEqual([['changed', 1]]);
  });
});

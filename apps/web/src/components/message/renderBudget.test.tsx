/**
 * The rendering budget of changes: an `update` to one message of a
 * 10,000-message room re-renders that message's row and no other. Rows are
 * counted by their text component (mocked here to count, then render as
 * usual): it renders once per render of its row.
 */
import { act, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { MessageView } from '../../state/selectors';
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
});

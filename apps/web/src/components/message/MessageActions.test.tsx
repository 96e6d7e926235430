/**
 * A message's actions in the list: reply, edit in place, delete after a
 * confirmation, reactions as toggle pills and the picker, replies that
 * jump to what they answer, and what a tombstone or an edit shows. In
 * English and Chinese: the end-to-end tests find them by these names.
 */
import { act, fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Locale } from '../../i18n';
import type { MessageView } from '../../state/selectors';
import { DeleteDialog } from './DeleteDialog';
import { MessageList } from '../MessageList';
import type { MessageActionHandlers } from '../MessageList';
import { alice, bob, entry, mockListLayout, renderWithLocale } from '../test-utils';

function handlers(): MessageActionHandlers {
  return {
    changes: true,
    reply: vi.fn(),
    startEdit: vi.fn(),
    saveEdit: vi.fn(),
    cancelEdit: vi.fn(),
    askDelete: vi.fn(),
    react: vi.fn(),
    nameOf: (id: string) => (id === alice.id ? 'alice' : id === bob.id ? 'bob' : null),
  };
}

/** Renders the list, and lets the tools chunk (tools.ts) arrive, as it does ahead of any click. */
async function renderList(
  entries: MessageView[],
  options: { actions?: MessageActionHandlers; editing?: number | null; locale?: Locale } = {},
) {
  const actions = options.actions ?? handlers();
  const result = renderWithLocale(
    <MessageList
      room="general"
      entries={entries}
      hasMore={false}
      loadingOlder={false}
      onLoadOlder={vi.fn()}
      onRetry={vi.fn()}
      onDiscard={vi.fn()}
      actions={actions}
      editing={options.editing ?? null}
    />,
    options.locale ?? 'en',
  );
  await act(async () => {
    await import('./toolsChunk');
  });
  return { ...result, actions };
}

describe('message actions', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
  });
  afterEach(() => {
    restoreLayout();
  });

  it('offers Reply and Add reaction on any message, Edit and Delete on our own only', async () => {
    await renderList([
      entry({ text: 'theirs', from: bob, seq: 1 }),
      entry({ text: 'mine', from: alice, seq: 2 }),
    ]);
    const [theirs, mine] = Array.from(screen.getByRole('log').querySelectorAll<HTMLElement>('.msg'));
    expect(within(theirs!).getByRole('button', { name: 'Reply' })).toBeInTheDocument();
    expect(within(theirs!).getByRole('button', { name: 'Add reaction' })).toBeInTheDocument();
    expect(within(theirs!).queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(within(mine!).getByRole('button', { name: 'Edit' })).toBeInTheDocument();
    expect(within(mine!).getByRole('button', { name: 'Delete' })).toBeInTheDocument();
    // On a touch screen they sit behind one button.
    expect(within(mine!).getByRole('button', { name: 'Message actions' })).toBeInTheDocument();
  });

  it('offers nothing on a server without changes, on a message still sending, or on a tombstone', async () => {
    await renderList(
      [
        entry({ text: 'pending', from: alice, status: 'sending' }),
        entry({ text: '', from: alice, seq: 2, deleted: true }),
      ],
      { actions: { ...handlers() } },
    );
    expect(screen.queryByRole('button', { name: 'Reply' })).toBeNull();
    expect(screen.getByText('Message deleted')).toBeInTheDocument();
  });

  it('names them in Chinese under the Chinese locale', async () => {
    await renderList([entry({ text: '我的', from: alice, seq: 1, edited: 5 })], { locale: 'zh-CN' });
    for (const name of ['回复', '编辑', '删除', '添加表情回应', '消息操作']) {
      expect(screen.getByRole('button', { name })).toBeInTheDocument();
    }
    expect(screen.getByText('（已编辑）')).toBeInTheDocument();
  });

  it('tells the conversation which message to reply to, edit and delete', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([entry({ text: 'mine', from: alice, seq: 7 })]);
    await user.click(screen.getByRole('button', { name: 'Reply' }));
    expect(actions.reply).toHaveBeenCalledWith({ seq: 7, from: alice, text: 'mine' });
    await user.click(screen.getByRole('button', { name: 'Edit' }));
    expect(actions.startEdit).toHaveBeenCalledWith(7);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(actions.askDelete).toHaveBeenCalledWith(7);
  });

  it('opens and closes the touch menu', async () => {
    const user = userEvent.setup();
    await renderList([entry({ text: 'mine', from: alice, seq: 7 })]);
    const more = screen.getByRole('button', { name: 'Message actions' });
    await user.click(more);
    expect(more).toHaveAttribute('aria-expanded', 'true');
    expect(document.querySelector('.msg-actions')).toHaveAttribute('data-open');
  });

  it('opens the actions on a long press with a finger, not a short one', async () => {
    await renderList([entry({ text: 'mine', from: alice, seq: 7 })]);
    const message = document.querySelector<HTMLElement>('.msg');
    if (!message) throw new Error('no message');
    // jsdom's pointer events carry no pointerType: a touch is made by hand.
    const touch = (type: string) => {
      const event = new MouseEvent(type, { bubbles: true });
      Object.defineProperty(event, 'pointerType', { value: 'touch' });
      act(() => {
        message.dispatchEvent(event);
      });
    };
    vi.useFakeTimers();
    try {
      touch('pointerdown');
      touch('pointerup');
      act(() => {
        vi.advanceTimersByTime(600);
      });
      expect(message).not.toHaveAttribute('data-menu');
      touch('pointerdown');
      act(() => {
        vi.advanceTimersByTime(600);
      });
      expect(message).toHaveAttribute('data-menu');
      expect(screen.getByRole('button', { name: 'Message actions' })).toHaveAttribute(
        'aria-expanded',
        'true',
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows "(edited)" after the time of an edited message', async () => {
    await renderList([entry({ text: 'fixed', from: bob, seq: 1, edited: Date.UTC(2025, 0, 15, 13) })]);
    const meta = document.querySelector('.msg-meta');
    expect(meta?.textContent).toMatch(/\(edited\)$/);
  });
});

describe('editing in place', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
  });
  afterEach(() => {
    restoreLayout();
  });

  it('edits in a textbox named Edit message: Enter saves, the same text cancels', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([entry({ text: 'helo', from: alice, seq: 3 })], { editing: 3 });
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    expect(box).toHaveFocus();
    expect(box).toHaveValue('helo');
    await user.type(box, '{Backspace}{Backspace}llo{Enter}');
    expect(actions.saveEdit).toHaveBeenCalledWith(3, 'hello');
  });

  it('Esc cancels, and an empty text cannot be saved', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([entry({ text: 'x', from: alice, seq: 3 })], { editing: 3 });
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    await user.clear(box);
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    await user.keyboard('{Escape}');
    expect(actions.cancelEdit).toHaveBeenCalled();
    expect(actions.saveEdit).not.toHaveBeenCalled();
  });
});

describe('reactions', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
  });
  afterEach(() => {
    restoreLayout();
  });

  const reacted = () =>
    entry({
      text: 'ship it',
      from: bob,
      seq: 4,
      reactions: [
        { emoji: '👍', count: 3, users: [alice.id, bob.id, 'u_x'], mine: true },
        { emoji: '🎉', count: 1, users: [bob.id], mine: false },
      ],
    });

  it('are toggle pills named by emoji and count, ours pressed', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([reacted()]);
    const mine = screen.getByRole('button', { name: '👍 3' });
    const theirs = screen.getByRole('button', { name: '🎉 1' });
    expect(mine).toHaveAttribute('aria-pressed', 'true');
    expect(theirs).toHaveAttribute('aria-pressed', 'false');
    await user.click(mine);
    expect(actions.react).toHaveBeenCalledWith(4, '👍', false);
    await user.click(theirs);
    expect(actions.react).toHaveBeenCalledWith(4, '🎉', true);
  });

  it('say who reacted on hover and focus', async () => {
    await renderList([reacted()]);
    fireEvent.focus(screen.getByRole('button', { name: '👍 3' }));
    expect(screen.getByRole('tooltip')).toHaveTextContent('alice, bob and 1 other reacted with 👍');
  });

  it('adds a frequent one in one click, and any other from the full picker', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([reacted()]);
    await user.click(screen.getByRole('button', { name: 'Add reaction' }));
    const picker = screen.getByRole('dialog', { name: 'Add reaction' });
    await user.click(within(picker).getByRole('button', { name: '❤️' }));
    expect(actions.react).toHaveBeenCalledWith(4, '❤️', true);
    expect(screen.queryByRole('dialog')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Add reaction' }));
    await user.click(screen.getByRole('button', { name: 'More emoji' }));
    const search = await screen.findByRole('searchbox', { name: 'Search emoji' }, { timeout: 10_000 });
    await user.type(search, 'avocado');
    await user.click(await screen.findByRole('button', { name: 'avocado' }));
    expect(actions.react).toHaveBeenCalledWith(4, '🥑', true);
  });

  it('taking back one of ours from the picker turns it off', async () => {
    const user = userEvent.setup();
    const { actions } = await renderList([reacted()]);
    await user.click(screen.getByRole('button', { name: 'Add reaction' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: '👍' }));
    expect(actions.react).toHaveBeenCalledWith(4, '👍', false);
  });
});

describe('replies and deletes', () => {
  let restoreLayout: () => void;
  beforeEach(() => {
    restoreLayout = mockListLayout();
  });
  afterEach(() => {
    restoreLayout();
  });

  it('a reply quotes what it answers; the quote scrolls to it and highlights it', async () => {
    const user = userEvent.setup();
    await renderList([
      entry({ text: 'the question', from: bob, seq: 1 }),
      entry({
        text: 'the answer',
        from: alice,
        seq: 2,
        replyTo: { seq: 1, from: bob, text: 'the question' },
      }),
    ]);
    const quote = screen.getByRole('button', { name: /Reply to bob: the question/ });
    await user.click(quote);
    const original = screen.getByText('the question', { selector: '.msg-text' }).closest('.msg');
    expect(original).toHaveAttribute('data-highlight');
  });

  it('a reply to a deleted message says so', async () => {
    await renderList([entry({ text: 'yes', from: alice, seq: 2, replyTo: { seq: 1, from: bob, text: '' } })]);
    expect(screen.getByRole('button', { name: /Reply to bob: Message deleted/ })).toBeInTheDocument();
  });

  it('the delete dialog confirms with Delete, cancels with Cancel or Esc, starting on Cancel', async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    renderWithLocale(<DeleteDialog onConfirm={onConfirm} onCancel={onCancel} />);
    const dialog = screen.getByRole('dialog', { name: 'Delete message?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(onCancel).toHaveBeenCalledTimes(1);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });
});

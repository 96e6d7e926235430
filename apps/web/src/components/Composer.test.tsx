import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { SendResult } from '../net/ChatClient';
import { Composer } from './Composer';
import { renderWithLocale } from './test-utils';

const ok = (): SendResult => ({ ok: true, id: 'c_1' });

afterEach(() => {
  sessionStorage.clear();
});

describe('Composer', () => {
  it('sends with Enter and clears the box', async () => {
    const onSend = vi.fn(ok);
    renderWithLocale(<Composer room="general" onSend={onSend} autoFocus />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveFocus();
    await userEvent.type(box, 'hello{Enter}');
    expect(onSend).toHaveBeenCalledWith('hello');
    expect(box).toHaveValue('');
    expect(box).toHaveFocus();
  });

  it('adds a line with Shift+Enter', async () => {
    const onSend = vi.fn(ok);
    renderWithLocale(<Composer room="general" onSend={onSend} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    await userEvent.type(box, 'one{Shift>}{Enter}{/Shift}two');
    expect(onSend).not.toHaveBeenCalled();
    expect(box).toHaveValue('one\ntwo');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(onSend).toHaveBeenCalledWith('one\ntwo');
  });

  it('does not send while an IME is composing', () => {
    const onSend = vi.fn(ok);
    renderWithLocale(<Composer room="general" onSend={onSend} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'ni' } });
    fireEvent.keyDown(box, { key: 'Enter', isComposing: true });
    expect(onSend).not.toHaveBeenCalled();
  });

  it('does not send blank text; Send is disabled', async () => {
    const onSend = vi.fn(ok);
    renderWithLocale(<Composer room="general" onSend={onSend} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('shows a counter near the 4000-character limit, and refuses beyond it', async () => {
    const onSend = vi.fn(ok);
    renderWithLocale(<Composer room="general" onSend={onSend} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'a'.repeat(3000) } });
    expect(screen.queryByText(/characters left/)).not.toBeInTheDocument();
    fireEvent.change(box, { target: { value: 'a'.repeat(3700) } });
    expect(screen.getByText('300 characters left')).toBeInTheDocument();
    // Code points, as the server counts: an emoji is one.
    fireEvent.change(box, { target: { value: '😀'.repeat(4000) } });
    expect(screen.getByText('0 characters left')).toBeInTheDocument();
    fireEvent.change(box, { target: { value: 'a'.repeat(4002) } });
    expect(screen.getByText('2 characters too many')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await userEvent.type(box, '{Enter}');
    expect(onSend).not.toHaveBeenCalled();
  });

  it('keeps a draft per room', async () => {
    const { unmount } = renderWithLocale(<Composer room="general" onSend={ok} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'half a thought');
    unmount();

    const other = renderWithLocale(<Composer room="random" onSend={ok} />);
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveValue('');
    other.unmount();

    renderWithLocale(<Composer room="general" onSend={ok} />);
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveValue('half a thought');
  });

  it('forgets the draft once sent', async () => {
    const { unmount } = renderWithLocale(<Composer room="general" onSend={ok} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'sent{Enter}');
    unmount();
    renderWithLocale(<Composer room="general" onSend={ok} />);
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveValue('');
  });

  it('says so when the outbox is full, keeping the text', async () => {
    const onSend = vi.fn((): SendResult => ({ ok: false, reason: 'full' }));
    renderWithLocale(<Composer room="general" onSend={onSend} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    await userEvent.type(box, 'queued{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent('Too many messages are waiting to be sent');
    expect(box).toHaveValue('queued');
  });

  it('signals typing, at most every second', async () => {
    let now = 10_000;
    const onTyping = vi.fn();
    renderWithLocale(<Composer room="general" onSend={ok} onTyping={onTyping} now={() => now} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    await userEvent.type(box, 'abc');
    expect(onTyping).toHaveBeenCalledTimes(1);
    now += 1500;
    await userEvent.type(box, 'd');
    expect(onTyping).toHaveBeenCalledTimes(2);
  });

  describe('replies and edits', () => {
    const replyTo = { seq: 4, from: { id: 'u_bob', name: 'bob' }, text: 'the question' };

    it('says whom it replies to, and cancels with its button or Esc', async () => {
      const onCancelReply = vi.fn();
      const user = userEvent.setup();
      renderWithLocale(
        <Composer room="general" onSend={vi.fn(ok)} replyTo={replyTo} onCancelReply={onCancelReply} />,
      );
      // From the message tools' chunk, which is here before a reply can start.
      expect(await screen.findByText('Replying to bob')).toBeInTheDocument();
      expect(screen.getByRole('textbox', { name: 'Message' })).toHaveFocus();
      await user.keyboard('{Escape}');
      expect(onCancelReply).toHaveBeenCalledTimes(1);
      await user.click(screen.getByRole('button', { name: 'Cancel reply' }));
      expect(onCancelReply).toHaveBeenCalledTimes(2);
    });

    it('Up arrow in an empty box edits the last message; with text it moves the caret as usual', async () => {
      const onEditLast = vi.fn(() => true);
      const user = userEvent.setup();
      renderWithLocale(<Composer room="general" onSend={vi.fn(ok)} onEditLast={onEditLast} autoFocus />);
      await user.keyboard('{ArrowUp}');
      expect(onEditLast).toHaveBeenCalledTimes(1);
      await user.keyboard('draft{ArrowUp}');
      expect(onEditLast).toHaveBeenCalledTimes(1);
    });
  });
});

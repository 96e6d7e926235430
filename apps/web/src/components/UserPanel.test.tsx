import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { UserPanel } from './UserPanel';
import type { UserPanelProps } from './UserPanel';
import { alice, renderWithLocale } from './test-utils';

function renderPanel(props: Partial<UserPanelProps> = {}) {
  const all: UserPanelProps = { user: alice, onSignOut: vi.fn(), onRename: vi.fn(), ...props };
  const view = renderWithLocale(<UserPanel {...all} />);
  return { ...view, props: all };
}

describe('UserPanel', () => {
  it('shows who is signed in, isolated and without bidi overrides', () => {
    renderPanel({ user: { id: 'u_x', name: '\u202Eecila' } });
    expect(screen.getByText('ecila').tagName).toBe('BDI');
  });

  it('changes the name: the form asks, then closes once the user holds the new name', async () => {
    const onRenameStart = vi.fn();
    const { props, rerender } = renderPanel({ onRenameStart });
    await userEvent.click(screen.getByRole('button', { name: 'Change name' }));
    expect(onRenameStart).toHaveBeenCalled();
    // The form is a chunk of its own: it opens once that is here, the name selected.
    const input = await screen.findByRole('textbox', { name: 'New name' });
    expect(input).toHaveValue('alice');
    expect(input).toHaveFocus();
    await userEvent.clear(input);
    await userEvent.type(input, ' alicia {Enter}');
    expect(props.onRename).toHaveBeenCalledWith('alicia');

    rerender(<UserPanel {...props} pending />);
    expect(screen.getByRole('button', { name: 'Saving…' })).toBeInTheDocument();
    rerender(<UserPanel {...props} user={{ ...alice, name: 'alicia' }} />);
    expect(screen.queryByRole('textbox', { name: 'New name' })).toBeNull();
    expect(screen.getByText('alicia')).toBeInTheDocument();
  });

  it('says a rename was over budget and when to try again, keeping the name typed', async () => {
    const { props, rerender } = renderPanel();
    await userEvent.click(screen.getByRole('button', { name: 'Change name' }));
    const input = await screen.findByRole('textbox', { name: 'New name' });
    await userEvent.clear(input);
    await userEvent.type(input, 'alicia{Enter}');
    rerender(<UserPanel {...props} error="rate_limited" errorWaitMs={150_000} refusedName="alicia" />);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Too many name changes. You can change your name again in about 3 minutes.',
    );
    expect(input).toHaveValue('alicia');
    expect(input).toHaveAttribute('aria-invalid', 'true');
  });

  it('says a name is taken, and closes on Escape or Cancel without asking', async () => {
    const { props, rerender } = renderPanel();
    await userEvent.click(screen.getByRole('button', { name: 'Change name' }));
    await userEvent.type(await screen.findByRole('textbox', { name: 'New name' }), 'x{Enter}');
    rerender(<UserPanel {...props} error="name_taken" refusedName="alicex" />);
    expect(screen.getByRole('alert')).toHaveTextContent('“\u2068alicex\u2069” is already taken');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('textbox')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Change name' }));
    expect(await screen.findByRole('textbox', { name: 'New name' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.getByRole('button', { name: 'Change name' })).toHaveFocus();
  });
});

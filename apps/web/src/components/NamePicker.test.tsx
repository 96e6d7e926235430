import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { NamePicker } from './NamePicker';
import { renderWithLocale } from './test-utils';

describe('NamePicker', () => {
  it('submits the trimmed name with the Join chat button', async () => {
    const onSubmit = vi.fn();
    renderWithLocale(<NamePicker onSubmit={onSubmit} error={null} />);
    const input = screen.getByRole('textbox', { name: 'Your name' });
    expect(input).toHaveFocus();
    await userEvent.type(input, '  alice  ');
    await userEvent.click(screen.getByRole('button', { name: 'Join chat' }));
    expect(onSubmit).toHaveBeenCalledWith('alice');
  });

  it('submits with Enter', async () => {
    const onSubmit = vi.fn();
    renderWithLocale(<NamePicker onSubmit={onSubmit} error={null} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), 'bob{Enter}');
    expect(onSubmit).toHaveBeenCalledWith('bob');
  });

  it('does not submit an empty name', async () => {
    const onSubmit = vi.fn();
    renderWithLocale(<NamePicker onSubmit={onSubmit} error={null} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Your name' }), '   ');
    await userEvent.click(screen.getByRole('button', { name: 'Join chat' }));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('explains name_taken, naming the refused name, and keeps it in the box', () => {
    renderWithLocale(<NamePicker onSubmit={vi.fn()} error="name_taken" initialName="alice" />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('“\u2068alice\u2069” is already taken by someone else');
    const input = screen.getByRole('textbox', { name: 'Your name' });
    expect(input).toHaveValue('alice');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(/already taken/);
  });

  it('explains invalid_name', () => {
    renderWithLocale(<NamePicker onSubmit={vi.fn()} error="invalid_name" initialName="x" />);
    expect(screen.getByRole('alert')).toHaveTextContent('1–32 characters');
  });

  it('hides the error while a new name is being tried', () => {
    renderWithLocale(<NamePicker onSubmit={vi.fn()} error="name_taken" initialName="alice" pending />);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Join chat' })).toHaveAttribute('aria-busy', 'true');
  });
});

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { TypingLine } from './TypingLine';
import { renderWithLocale } from './test-utils';

describe('TypingLine', () => {
  it('is empty when nobody types', () => {
    const { container } = renderWithLocale(<TypingLine names={[]} />);
    expect(container.textContent).toBe('');
  });

  it('names one, two, or two and a count', () => {
    const { rerender } = renderWithLocale(<TypingLine names={['bob']} />);
    expect(screen.getByText('bob is typing…')).toBeInTheDocument();
    rerender(<TypingLine names={['bob', 'alice']} />);
    expect(screen.getByText('bob and alice are typing…')).toBeInTheDocument();
    rerender(<TypingLine names={['bob', 'alice', 'carol', 'dan']} />);
    expect(screen.getByText('bob, alice and 2 others are typing…')).toBeInTheDocument();
  });
});

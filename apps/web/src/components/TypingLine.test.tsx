import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { TypingLine } from './TypingLine';
import { renderWithLocale } from './test-utils';

describe('TypingLine', () => {
  it('is empty when nobody types', () => {
    const { container } = renderWithLocale(<TypingLine names={[]} />);
    expect(container.textContent).toBe('');
  });

  // Names are isolated (FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE).
  const i = (name: string) => `\u2068${name}\u2069`;

  it('names one, two, or two and a count', () => {
    const { rerender } = renderWithLocale(<TypingLine names={['bob']} />);
    expect(screen.getByText(`${i('bob')} is typing…`)).toBeInTheDocument();
    rerender(<TypingLine names={['bob', 'alice']} />);
    expect(screen.getByText(`${i('bob')} and ${i('alice')} are typing…`)).toBeInTheDocument();
    rerender(<TypingLine names={['bob', 'alice', 'carol', 'dan']} />);
    expect(screen.getByText(`${i('bob')}, ${i('alice')} and 2 others are typing…`)).toBeInTheDocument();
  });

  it('isolates each name and drops its bidi overrides, so it cannot reorder the sentence', () => {
    renderWithLocale(<TypingLine names={['\u202Eecila', 'سارة']} />);
    expect(screen.getByText(`${i('ecila')} and ${i('سارة')} are typing…`)).toBeInTheDocument();
  });
});

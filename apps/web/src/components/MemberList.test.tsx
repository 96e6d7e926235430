import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { MemberList } from './MemberList';
import { alice, bob, renderWithLocale } from './test-utils';

describe('MemberList', () => {
  it('lists the members, me first and marked', () => {
    renderWithLocale(<MemberList members={[bob, { id: 'u_c', name: 'Carol' }, alice]} selfId={alice.id} />);
    const list = screen.getByRole('list', { name: 'Members' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['Aalice(you)', 'Bbob', 'CCarol']);
  });
});

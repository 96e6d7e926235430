import type { User } from '@tether/protocol';
import { act, fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { MEMBER_SEARCH_DEBOUNCE_MS, MemberList } from './MemberList';
import type { MemberListProps } from './MemberList';
import { alice, bob, renderWithLocale } from './test-utils';

function users(count: number, from = 0): User[] {
  return Array.from({ length: count }, (_, i) => ({ id: `u_${from + i}`, name: `user${from + i}` }));
}

const names = () =>
  within(screen.getByRole('list', { name: 'Members' }))
    .queryAllByRole('listitem')
    .map((li) => li.textContent);

describe('MemberList', () => {
  it('lists the members, me first and marked', () => {
    renderWithLocale(<MemberList members={[bob, { id: 'u_c', name: 'Carol' }, alice]} selfId={alice.id} />);
    const list = screen.getByRole('list', { name: 'Members' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['Aalice(you)', 'Bbob', 'CCarol']);
  });

  it('draws names isolated and without bidi overrides', () => {
    renderWithLocale(
      <MemberList members={[alice, { id: 'u_x', name: '\u202Eecila\u202C' }]} selfId={alice.id} />,
    );
    const name = screen.getByText('ecila');
    expect(name.tagName).toBe('BDI');
  });

  it('filters a small room here, by the start of names as the server compares them', async () => {
    const onSearch = vi.fn();
    renderWithLocale(
      <MemberList
        members={[bob, { id: 'u_c', name: 'Carol' }, { id: 'u_w', name: 'Ｃａｒｌ' }, alice]}
        selfId={alice.id}
        onSearch={onSearch}
      />,
    );
    const search = screen.getByRole('searchbox', { name: 'Search members' });
    await userEvent.type(search, ' car');
    // Carol and Ｃａｒｌ (full width): both start with "car" once width is folded.
    expect(names().sort()).toEqual(['CCarol', 'ＣＣａｒｌ'].sort());
    await userEvent.type(search, 'x');
    expect(names()).toEqual([]);
    expect(screen.getByText('No member’s name starts with “carx”.')).toBeInTheDocument();
    // Everyone is here already: nothing is asked, nothing is paged.
    expect(onSearch).not.toHaveBeenCalled();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(screen.queryByText(/Showing/)).not.toBeInTheDocument();
  });

  describe('a big room', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    function renderBig(props: Partial<MemberListProps> = {}) {
      const all: MemberListProps = {
        members: users(100),
        count: 5012,
        complete: false,
        selfId: alice.id,
        hasMore: true,
        onSearch: vi.fn(),
        onMore: vi.fn(),
        ...props,
      };
      const view = renderWithLocale(<MemberList {...all} />);
      act(() => {
        vi.advanceTimersByTime(0);
      });
      return { props: all, ...view };
    }

    it('says how many members there are and how many are shown, and asks for the first page', () => {
      const { props } = renderBig();
      expect(screen.getByRole('heading', { name: /Members/ })).toHaveTextContent('5,012');
      expect(screen.getByText('Showing 100 of 5,012 members')).toBeInTheDocument();
      expect(props.onSearch).toHaveBeenCalledExactlyOnceWith('');
      expect(names()).toHaveLength(100);
      // Name order, page after page: no "you first" here.
      expect(names()[0]).toBe('Uuser0');
    });

    it('asks for the next page with Show more, and says when one is on its way', () => {
      const { props, rerender } = renderBig();
      fireEvent.click(screen.getByRole('button', { name: 'Show more members' }));
      expect(props.onMore).toHaveBeenCalledTimes(1);
      rerender(<MemberList {...props} loading />);
      expect(screen.getByRole('button', { name: 'Loading…' })).toBeDisabled();
      rerender(<MemberList {...props} members={users(200)} hasMore={false} />);
      expect(names()).toHaveLength(200);
      expect(screen.getByText('Showing 200 of 5,012 members')).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: 'Show more members' })).not.toBeInTheDocument();
    });

    it('searches on the server once typing pauses', () => {
      const { props, rerender } = renderBig();
      const onSearch = vi.mocked(props.onSearch);
      onSearch?.mockClear();
      const search = screen.getByRole('searchbox', { name: 'Search members' });
      for (const value of ['u', 'use', 'user1']) {
        fireEvent.change(search, { target: { value } });
        act(() => {
          vi.advanceTimersByTime(MEMBER_SEARCH_DEBOUNCE_MS - 50);
        });
      }
      expect(onSearch).not.toHaveBeenCalled();
      act(() => {
        vi.advanceTimersByTime(MEMBER_SEARCH_DEBOUNCE_MS);
      });
      expect(onSearch).toHaveBeenCalledExactlyOnceWith('user1');
      // Until the answer, the page held is filtered here.
      expect(names().every((name) => name.startsWith('Uuser1'))).toBe(true);
      rerender(<MemberList {...props} members={[]} loading />);
      expect(screen.getByText('Searching…')).toBeInTheDocument();
      rerender(<MemberList {...props} members={[]} hasMore={false} />);
      expect(screen.getByText('No member’s name starts with “user1”.')).toBeInTheDocument();
    });

    it('asks only while the room is joined, and again once it is joined again', () => {
      const { props, rerender } = renderBig({ live: false });
      expect(props.onSearch).not.toHaveBeenCalled();
      rerender(<MemberList {...props} live />);
      act(() => {
        vi.advanceTimersByTime(0);
      });
      expect(props.onSearch).toHaveBeenCalledExactlyOnceWith('');
    });

    it('says when a page could not be read, and offers to retry', () => {
      const { props } = renderBig({ error: 'rate_limited', hasMore: false });
      expect(screen.getByRole('alert')).toHaveTextContent('The server is busy');
      fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
      expect(props.onMore).toHaveBeenCalledTimes(1);
    });
  });

  it('is reached by keyboard in a big room: the search, then Show more', async () => {
    renderWithLocale(
      <MemberList members={users(2)} count={600} complete={false} selfId={null} hasMore onMore={vi.fn()} />,
    );
    await userEvent.tab();
    expect(screen.getByRole('searchbox', { name: 'Search members' })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole('button', { name: 'Show more members' })).toHaveFocus();
  });
});

import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';

import { useI18n } from '../i18n';
import { DrawerClose } from './DrawerClose';
import { HashIcon, LogoMark, MenuIcon, UsersIcon } from './icons';

export interface ChatLayoutProps {
  /** The current room, shown as the heading. */
  room: string | null;
  /** The connection's status element: it sits in the header while connected, and becomes a banner otherwise. */
  status: ReactNode;
  /** Rooms navigation and the signed-in user: a sidebar, a drawer on narrow screens. */
  rooms: ReactNode;
  /** The member list: a sidebar on wide screens, a drawer otherwise. */
  members: ReactNode;
  memberCount: number;
  /** The conversation: message list, typing line, composer. */
  children: ReactNode;
}

type Drawer = 'rooms' | 'members';

// Keep in step with the breakpoints in styles.css: wider than these, the
// panel is a sidebar and its drawer cannot be open.
const ROOMS_SIDEBAR = '(min-width: 760px)';
const MEMBERS_SIDEBAR = '(min-width: 1100px)';

/**
 * Three columns on a desktop; on narrower screens the rooms and members
 * collapse into drawers behind toggles in the header. An open drawer is
 * modal: the conversation behind it is inert, Escape closes it, and focus
 * goes into it and back to its toggle.
 */
export function ChatLayout({ room, status, rooms, members, memberCount, children }: ChatLayoutProps) {
  const { t } = useI18n();
  const [{ drawer, refocus }, setState] = useState<{ drawer: Drawer | null; refocus: boolean }>({
    drawer: null,
    refocus: false,
  });
  const open = (d: Drawer) => setState({ drawer: d, refocus: false });
  const close = () => setState({ drawer: null, refocus: true });
  const [drawerRoom, setDrawerRoom] = useState(room);
  const roomsToggle = useRef<HTMLButtonElement>(null);
  const membersToggle = useRef<HTMLButtonElement>(null);
  const roomsClose = useRef<HTMLButtonElement>(null);
  const membersClose = useRef<HTMLButtonElement>(null);
  const lastDrawer = useRef<Drawer | null>(null);

  // Picking a room in the drawer is done with the drawer. Focus then goes to
  // the composer of that room, not back to the toggle.
  if (room !== drawerRoom) {
    setDrawerRoom(room);
    if (drawer) setState({ drawer: null, refocus: false });
  }

  // A drawer left open when the window widens into a sidebar would leave the
  // conversation inert behind nothing.
  useEffect(() => {
    const queries = [ROOMS_SIDEBAR, MEMBERS_SIDEBAR].map((q) => window.matchMedia(q));
    const reset = () => setState({ drawer: null, refocus: false });
    for (const q of queries) q.addEventListener('change', reset);
    return () => {
      for (const q of queries) q.removeEventListener('change', reset);
    };
  }, []);

  // Focus into an opened drawer, back to its toggle when it closes.
  useEffect(() => {
    if (drawer === 'rooms') roomsClose.current?.focus();
    else if (drawer === 'members') membersClose.current?.focus();
    else if (refocus && lastDrawer.current === 'rooms') roomsToggle.current?.focus();
    else if (refocus && lastDrawer.current === 'members') membersToggle.current?.focus();
    lastDrawer.current = drawer;
  }, [drawer, refocus]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && drawer) {
      e.stopPropagation();
      close();
    }
  };

  return (
    <div className="shell" data-drawer={drawer ?? undefined} onKeyDown={onKeyDown}>
      <a className="skip-link" href="#composer-input">
        {t.skipToComposer}
      </a>
      <div className="sidebar sidebar-rooms" id="rooms-panel">
        <div className="sidebar-head">
          <span className="brand">
            <LogoMark size={26} />
            <span className="brand-name">{t.appName}</span>
          </span>
          <DrawerClose ref={roomsClose} onClose={close} />
        </div>
        {rooms}
      </div>
      <div className="backdrop" aria-hidden="true" onClick={close} />
      <main className="chat" inert={drawer !== null}>
        <header className="chat-header">
          <button
            ref={roomsToggle}
            type="button"
            className="icon-button toggle-rooms"
            aria-label={t.openRooms}
            aria-expanded={drawer === 'rooms'}
            aria-controls="rooms-panel"
            onClick={() => open('rooms')}
          >
            <MenuIcon />
          </button>
          <h1 className="chat-title">
            {room && (
              <>
                <HashIcon size={20} />
                <bdi>{room}</bdi>
              </>
            )}
          </h1>
          <button
            ref={membersToggle}
            type="button"
            className="icon-button toggle-members"
            aria-label={t.openMembers}
            aria-expanded={drawer === 'members'}
            aria-controls="members-panel"
            onClick={() => open('members')}
          >
            <UsersIcon />
            <span className="toggle-count" aria-hidden="true">
              {memberCount}
            </span>
          </button>
          {/* After the toggles in tab order; the stylesheet shows it before
              the members toggle while connected, and as a full-width banner
              under the header otherwise. */}
          {status}
        </header>
        {children}
      </main>
      <div className="sidebar sidebar-members" id="members-panel">
        <div className="sidebar-head sidebar-head-members">
          <DrawerClose ref={membersClose} onClose={close} />
        </div>
        {members}
      </div>
    </div>
  );
}

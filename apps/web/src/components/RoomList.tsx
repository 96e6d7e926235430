import { isValidRoomName } from '@tether/protocol/rules';
import { useId, useState } from 'react';
import type { SubmitEvent } from 'react';

import { useI18n } from '../i18n';
import type { JoinResult } from '../net/ChatClient';
import { CloseIcon, HashIcon, PlusIcon } from './icons';
import { RoomDirectory } from './RoomDirectory';
import type { DirectoryProps } from './RoomDirectory';

export interface RoomItem {
  name: string;
  unread: number;
}

export interface RoomListProps {
  rooms: readonly RoomItem[];
  current: string | null;
  onSelect: (room: string) => void;
  /** Joins (and so creates) a room; called with a valid room name. */
  onJoin: (room: string) => JoinResult | undefined;
  onLeave?: (room: string) => void;
  /** Rooms on the server, for discovery, a page at a time; those already joined are skipped. */
  directory?: DirectoryProps;
}

/** What people type ("#Random Stuff ") into what the protocol accepts ("random-stuff"). */
export function normaliseRoomName(input: string): string {
  return input.trim().replace(/^#/, '').trim().toLowerCase().replace(/\s+/g, '-');
}

export function RoomList({ rooms, current, onSelect, onJoin, onLeave, directory }: RoomListProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<'invalid' | 'too_many' | null>(null);
  const invalid = problem !== null;
  const headingId = useId();
  const hintId = useId();
  const joined = new Set(rooms.map((r) => r.name));

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = normaliseRoomName(draft);
    if (!isValidRoomName(name)) {
      setProblem('invalid');
      return;
    }
    if (rooms.some((r) => r.name === name)) {
      onSelect(name);
    } else {
      const result = onJoin(name);
      if (result && !result.ok) {
        setProblem(result.reason === 'too_many_rooms' ? 'too_many' : 'invalid');
        return;
      }
    }
    setProblem(null);
    setDraft('');
  };

  const joinListed = (name: string) => {
    const result = onJoin(name);
    setProblem(result && !result.ok ? (result.reason === 'too_many_rooms' ? 'too_many' : 'invalid') : null);
  };

  return (
    <nav className="rooms" aria-label={t.rooms}>
      <h2 className="panel-title" id={headingId}>
        {t.rooms}
      </h2>
      {rooms.length === 0 ? (
        <p className="panel-empty">{t.noRooms}</p>
      ) : (
        <ul className="room-list" aria-labelledby={headingId}>
          {rooms.map((room) => {
            const selected = room.name === current;
            const showUnread = room.unread > 0 && !selected;
            return (
              <li key={room.name} className="room-item" data-selected={selected || undefined}>
                <button
                  type="button"
                  className="room-button"
                  aria-current={selected ? 'page' : undefined}
                  // One label: composed from child elements, screen readers read "general , 2 unread".
                  aria-label={showUnread ? `${room.name}, ${t.unread(room.unread)}` : undefined}
                  onClick={() => onSelect(room.name)}
                >
                  <HashIcon size={16} />
                  <bdi className="room-name">{room.name}</bdi>
                  {showUnread && (
                    <span className="badge" aria-hidden="true">
                      {room.unread > 99 ? '99+' : room.unread}
                    </span>
                  )}
                </button>
                {onLeave && (
                  <button
                    type="button"
                    className="icon-button room-leave"
                    aria-label={t.leaveRoom(room.name)}
                    title={t.leaveRoom(room.name)}
                    onClick={() => onLeave(room.name)}
                  >
                    <CloseIcon size={14} />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <form className="room-form" onSubmit={submit} noValidate>
        <div className="room-form-row">
          <span className="room-form-hash" aria-hidden="true">
            #
          </span>
          <input
            className="text-input room-input"
            type="text"
            aria-label={t.roomName}
            placeholder={t.roomPlaceholder}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
              if (problem) setProblem(null);
            }}
            aria-invalid={invalid}
            aria-describedby={hintId}
          />
          <button type="submit" className="button button-secondary room-join" aria-label={t.joinRoom}>
            <PlusIcon />
          </button>
        </div>
        <p
          id={hintId}
          className={invalid ? 'field-error' : 'field-hint'}
          role={invalid ? 'alert' : undefined}
        >
          {problem === 'too_many' ? t.tooManyRooms : t.roomHint}
        </p>
      </form>
      {directory && <RoomDirectory {...directory} joined={joined} onJoin={joinListed} />}
    </nav>
  );
}

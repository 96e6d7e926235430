import { useCallback, useEffect } from 'react';

import { ChatLayout } from './components/ChatLayout';
import { Conversation } from './Conversation';
import { ConnectionStatus } from './components/ConnectionStatus';
import { clearDrafts } from './components/drafts';
import { MemberList } from './components/MemberList';
import { NamePicker } from './components/NamePicker';
import { RoomList } from './components/RoomList';
import { UserPanel } from './components/UserPanel';
import {
  ChatProvider,
  useChatClient,
  useChatConnection,
  useConnection,
  useCurrentRoom,
  useDirectory,
  useRoomMembers,
  useRooms,
  useSession,
} from './hooks';
import type { UseChatConnectionOptions } from './hooks';
import { useI18n } from './i18n';
import type { ChatClient } from './net/ChatClient';
import { loadNameRules } from './net/text';
import type { User } from '@tether/protocol';

/** How often the room directory is refreshed while connected. */
const DIRECTORY_REFRESH_MS = 30_000;

/**
 * The app: one `ChatClient` for the page, and the screen its session calls for.
 * `connection` is for tests (a fake socket, memory storage); read once.
 */
export function App({ connection }: { connection?: UseChatConnectionOptions }) {
  const client = useChatConnection(connection);
  return (
    <ChatProvider client={client}>
      <Screen />
    </ChatProvider>
  );
}

function Screen() {
  const session = useSession();
  if (session.user) return <ChatScreen user={session.user} />;
  return <NameScreen />;
}

function Connection() {
  const client = useChatClient();
  const { status, rttMs } = useConnection();
  return <ConnectionStatus status={status} rttMs={rttMs} onRetryNow={client.retryNow} />;
}

/** The protocol's name rules are a chunk of their own (net/text.ts): fetched when a name is about to be chosen. */
function preloadNameRules(): void {
  void loadNameRules();
}

function NameScreen() {
  const client = useChatClient();
  const { pendingName, nameError, nameErrorWaitMs, suggestedName } = useSession();
  const { status } = useConnection();
  useEffect(preloadNameRules, []);
  return (
    <NamePicker
      onSubmit={(name) => {
        client.setName(name);
      }}
      error={nameError}
      errorWaitMs={nameErrorWaitMs}
      initialName={suggestedName ?? pendingName ?? ''}
      pending={pendingName !== null && nameError === null}
      // Once a name is on its way, say what the connection is doing, so a
      // server that cannot be reached does not look like a button that hangs.
      status={pendingName !== null && status.kind !== 'idle' ? <Connection /> : null}
    />
  );
}

function ChatScreen({ user }: { user: User }) {
  const client = useChatClient();
  const { t } = useI18n();
  const session = useSession();
  const { rooms, current } = useRooms();
  const room = useCurrentRoom();
  const members = useRoomMembers(current);
  const directory = useDirectory();
  const open = useConnection().status.kind === 'open';

  useRoomDirectory(client, open);
  useUnreadTitle(
    rooms.reduce((n, r) => n + r.unread, 0),
    t.appName,
  );

  return (
    <ChatLayout
      room={current}
      status={<Connection />}
      memberCount={members.count}
      rooms={
        <>
          <RoomList
            rooms={rooms}
            current={current}
            onSelect={client.select}
            onJoin={client.join}
            onLeave={client.leave}
            directory={{
              rooms: directory.rooms,
              hasMore: directory.hasMore,
              loading: directory.loading,
              error: directory.error,
              answered: directory.updatedAt !== null,
              onSearch: client.searchRooms,
              onMore: client.moreRooms,
            }}
          />
          <UserPanel
            user={user}
            onSignOut={() => {
              clearDrafts();
              client.signOut();
            }}
            onRename={client.setName}
            onRenameStart={preloadNameRules}
            pending={session.pendingName !== null}
            error={session.nameError}
            errorWaitMs={session.nameErrorWaitMs}
            refusedName={session.suggestedName}
          />
        </>
      }
      members={
        current ? (
          // Keyed by room: a search typed in one room does not follow into the next.
          <MembersPanel
            key={current}
            client={client}
            room={current}
            live={room?.joined ?? false}
            selfId={user.id}
          />
        ) : (
          <MemberList members={[]} selfId={user.id} />
        )
      }
    >
      {current && room ? (
        <Conversation key={current} client={client} room={current} error={room.error} />
      ) : (
        <p className="chat-empty">{t.pickRoom}</p>
      )}
    </ChatLayout>
  );
}

/** The current room's members: whole in a small room, by pages and searched on the server in a big one. */
function MembersPanel({
  client,
  room,
  live,
  selfId,
}: {
  client: ChatClient;
  room: string;
  live: boolean;
  selfId: string;
}) {
  const { members, count, complete, pages } = useRoomMembers(room);
  // Stable, or the panel would ask for the first page again on every render.
  const onSearch = useCallback((prefix: string) => client.searchMembers(room, prefix), [client, room]);
  const onMore = useCallback(() => client.moreMembers(room), [client, room]);
  return (
    <MemberList
      members={members}
      count={count}
      complete={complete}
      selfId={selfId}
      hasMore={pages?.hasMore ?? false}
      pagesPrefix={pages?.prefix}
      loading={pages?.loading ?? false}
      error={pages?.error ?? null}
      onSearch={onSearch}
      onMore={onMore}
      live={live}
    />
  );
}

/** Keeps the first page of the "More rooms" list fresh while connected (one cheap read each time). */
function useRoomDirectory(client: ChatClient, open: boolean) {
  useEffect(() => {
    if (!open) return;
    client.listRooms();
    const timer = setInterval(client.listRooms, DIRECTORY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [client, open]);
}

/** "(3) Tether" in the tab while messages wait unread in other rooms. */
function useUnreadTitle(unread: number, appName: string) {
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${appName}` : appName;
  }, [unread, appName]);
}

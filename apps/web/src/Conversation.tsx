import type { ReplyRef } from '@tether/protocol';
import { Suspense, useCallback, useMemo, useState } from 'react';

import { Composer } from './components/Composer';
import { DeleteDialog } from './components/message/tools';
import { MessageList } from './components/MessageList';
import type { MessageActionHandlers } from './components/MessageList';
import { TypingLine } from './components/TypingLine';
import { useChatState, useCurrentRoom, useMessages, useTyping } from './hooks';
import { useI18n } from './i18n';
import type { ChatClient } from './net/ChatClient';

/**
 * One room's messages, typing line and composer; keyed by room, so scroll,
 * draft, reply and edit start fresh. It holds what the person is doing to a
 * message (editing one, answering one, confirming a delete) and turns it
 * into the client's calls.
 */
export function Conversation({
  client,
  room,
  error,
}: {
  client: ChatClient;
  room: string;
  error: string | null;
}) {
  const { t } = useI18n();
  const entries = useMessages(room);
  const view = useCurrentRoom();
  const typing = useTyping(room);
  const changes = useChatState((s) => s.session.changes);
  const [editing, setEditing] = useState<number | null>(null);
  const [replyTo, setReplyTo] = useState<ReplyRef | null>(null);
  const [deleting, setDeleting] = useState<number | null>(null);

  // Stable for as long as the room and the server's support are: the rows
  // read them from a context, and a new object would re-render every row.
  const actions = useMemo<MessageActionHandlers>(
    () => ({
      changes,
      reply: (to) => {
        setEditing(null);
        setReplyTo(to);
      },
      startEdit: setEditing,
      saveEdit: (seq, text) => {
        const result = client.edit(room, seq, text);
        if (result.ok || result.reason === 'not_found') setEditing(null);
      },
      cancelEdit: () => setEditing(null),
      askDelete: setDeleting,
      react: (seq, emoji, on) => {
        client.react(room, seq, emoji, on);
      },
      nameOf: (id) => {
        const state = client.store.getState();
        const member = state.members.byRoom.get(room)?.find((user) => user.id === id);
        if (member) return member.name;
        if (state.session.user?.id === id) return state.session.user.name;
        const held = state.messages.byRoom.get(room);
        if (held)
          for (const message of Object.values(held)) if (message.from.id === id) return message.from.name;
        return null;
      },
    }),
    [client, room, changes],
  );

  // Up arrow in an empty composer edits our last message still there.
  const editLast = useCallback(() => {
    if (!changes) return false;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry?.own && entry.seq !== null && !entry.deleted && entry.status === 'sent') {
        setEditing(entry.seq);
        return true;
      }
    }
    return false;
  }, [entries, changes]);

  return (
    <>
      {error && (
        <p className="room-error" role="alert">
          {t.roomError(room, error)}
        </p>
      )}
      <MessageList
        room={room}
        entries={entries}
        hasMore={view?.hasMore ?? false}
        loadingOlder={view?.loadingOlder ?? false}
        onLoadOlder={() => {
          client.loadOlder(room);
        }}
        onRetry={client.retry}
        onDiscard={client.discard}
        position={client.readingPosition(room)}
        onPosition={(position) => client.setReadingPosition(room, position)}
        actions={actions}
        editing={editing}
      />
      <TypingLine names={typing} />
      <Composer
        room={room}
        onSend={(text) => {
          const result = client.send(room, text, replyTo ?? undefined);
          if (result.ok) setReplyTo(null);
          return result;
        }}
        onTyping={() => client.typing(room)}
        autoFocus
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onEditLast={editLast}
      />
      {deleting !== null && (
        <Suspense fallback={null}>
          <DeleteDialog
            onCancel={() => setDeleting(null)}
            onConfirm={() => {
              client.deleteMessage(room, deleting);
              setDeleting(null);
            }}
          />
        </Suspense>
      )}
    </>
  );
}

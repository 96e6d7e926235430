/**
 * The SQL of changing messages on PostgreSQL (migration 2): the columns and
 * tables, and two functions. `tether_reactions` turns a message's reaction
 * rows into the wire form (emoji in the order first used, exact counts, the
 * earliest MAX_REACTION_USERS users). `tether_apply_changes` applies a run
 * of changes of one group commit in one statement: one round trip however
 * many changes, each checked against the state the ones before it left (a
 * set-based statement would see the state before all of them).
 */

export const CHANGES_MIGRATION = `
ALTER TABLE messages ADD COLUMN rev bigint;
UPDATE messages SET rev = seq;
ALTER TABLE messages ALTER COLUMN rev SET NOT NULL;
ALTER TABLE messages ADD COLUMN edited bigint;
ALTER TABLE messages ADD COLUMN deleted boolean NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN reply_to bigint;
CREATE INDEX messages_by_rev ON messages (room, rev);
CREATE TABLE reactions (
  room    text COLLATE "C" NOT NULL,
  seq     bigint NOT NULL,
  emoji   text NOT NULL,
  user_id text NOT NULL,
  ord     bigint NOT NULL,
  PRIMARY KEY (room, seq, emoji, user_id)
);
CREATE TABLE changes (
  user_id   text NOT NULL,
  client_id text NOT NULL,
  room      text COLLATE "C" NOT NULL,
  seq       bigint NOT NULL,
  ts        bigint NOT NULL,
  target    bigint NOT NULL,
  event     boolean NOT NULL,
  CONSTRAINT changes_by_sender_id PRIMARY KEY (user_id, client_id)
);
CREATE INDEX changes_by_event ON changes (room, seq) WHERE event;

CREATE FUNCTION tether_reactions(p_room text, p_seq bigint, p_users int) RETURNS jsonb
LANGUAGE sql STABLE AS $f$
  SELECT jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'users', to_jsonb(g.users)) ORDER BY g.first)
  FROM (
    SELECT r.emoji, count(*) AS n, min(r.ord) AS first, (array_agg(r.user_id ORDER BY r.ord))[1:p_users] AS users
    FROM reactions r WHERE r.room = p_room AND r.seq = p_seq GROUP BY r.emoji
  ) g
$f$;

CREATE FUNCTION tether_apply_changes(
  p_room text[], p_client_id text[], p_user_id text[], p_ts bigint[], p_target bigint[],
  p_kind text[], p_text text[], p_text_json boolean[], p_emoji text[], p_on boolean[], p_max_emoji int
) RETURNS TABLE (o_ord int, o_status text, o_room text, o_seq bigint, o_ts bigint)
LANGUAGE plpgsql AS $f$
DECLARE
  i int;
  k record;
  m record;
  there boolean;
  next_seq bigint;
  verdict text;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
    o_ord := i;
    o_room := p_room[i];
    o_ts := p_ts[i];
    -- One id space for sends and changes: the first answer to this (user, id).
    SELECT c.room, c.seq, c.ts INTO k FROM changes c WHERE c.user_id = p_user_id[i] AND c.client_id = p_client_id[i];
    IF NOT FOUND THEN
      SELECT x.room, x.seq, x.ts INTO k FROM messages x WHERE x.user_id = p_user_id[i] AND x.client_id = p_client_id[i];
    END IF;
    IF FOUND THEN
      o_status := 'duplicate'; o_room := k.room; o_seq := k.seq; o_ts := k.ts;
      RETURN NEXT; CONTINUE;
    END IF;
    SELECT x.user_id, x.text, x.text_json, x.rev, x.deleted INTO m
      FROM messages x WHERE x.room = p_room[i] AND x.seq = p_target[i];
    IF NOT FOUND THEN
      o_status := 'not_found'; o_seq := NULL; RETURN NEXT; CONTINUE;
    END IF;
    verdict := 'change';
    IF p_kind[i] = 'edit' THEN
      IF m.deleted THEN verdict := 'not_found';
      ELSIF m.user_id <> p_user_id[i] THEN verdict := 'forbidden';
      ELSIF m.text = p_text[i] AND m.text_json = p_text_json[i] THEN verdict := 'unchanged';
      END IF;
    ELSIF p_kind[i] = 'delete' THEN
      IF m.user_id <> p_user_id[i] THEN verdict := 'forbidden';
      ELSIF m.deleted THEN verdict := 'unchanged';
      END IF;
    ELSE
      IF m.deleted THEN verdict := 'not_found';
      ELSE
        there := EXISTS (SELECT 1 FROM reactions r WHERE r.room = p_room[i] AND r.seq = p_target[i]
                         AND r.emoji = p_emoji[i] AND r.user_id = p_user_id[i]);
        IF there = p_on[i] THEN verdict := 'unchanged';
        ELSIF p_on[i]
          AND NOT EXISTS (SELECT 1 FROM reactions r WHERE r.room = p_room[i] AND r.seq = p_target[i] AND r.emoji = p_emoji[i])
          AND (SELECT count(DISTINCT r.emoji) FROM reactions r WHERE r.room = p_room[i] AND r.seq = p_target[i]) >= p_max_emoji
        THEN verdict := 'too_many_reactions';
        END IF;
      END IF;
    END IF;
    IF verdict = 'unchanged' THEN
      INSERT INTO changes (user_id, client_id, room, seq, ts, target, event)
        VALUES (p_user_id[i], p_client_id[i], p_room[i], m.rev, p_ts[i], p_target[i], false);
      o_status := 'unchanged'; o_seq := m.rev; RETURN NEXT; CONTINUE;
    ELSIF verdict <> 'change' THEN
      o_status := verdict; o_seq := NULL; RETURN NEXT; CONTINUE;
    END IF;
    -- An event: the room's next seq, under the room row's lock until the commit.
    UPDATE rooms r SET seq = r.seq + 1 WHERE r.name = p_room[i] RETURNING r.seq INTO next_seq;
    IF p_kind[i] = 'edit' THEN
      UPDATE messages x SET text = p_text[i], text_json = p_text_json[i], edited = p_ts[i], rev = next_seq
        WHERE x.room = p_room[i] AND x.seq = p_target[i];
    ELSIF p_kind[i] = 'delete' THEN
      UPDATE messages x SET text = '', text_json = false, edited = NULL, deleted = true, rev = next_seq
        WHERE x.room = p_room[i] AND x.seq = p_target[i];
      DELETE FROM reactions r WHERE r.room = p_room[i] AND r.seq = p_target[i];
    ELSE
      IF p_on[i] THEN
        INSERT INTO reactions (room, seq, emoji, user_id, ord) VALUES (p_room[i], p_target[i], p_emoji[i], p_user_id[i], next_seq);
      ELSE
        DELETE FROM reactions r WHERE r.room = p_room[i] AND r.seq = p_target[i] AND r.emoji = p_emoji[i] AND r.user_id = p_user_id[i];
      END IF;
      UPDATE messages x SET rev = next_seq WHERE x.room = p_room[i] AND x.seq = p_target[i];
    END IF;
    INSERT INTO changes (user_id, client_id, room, seq, ts, target, event)
      VALUES (p_user_id[i], p_client_id[i], p_room[i], next_seq, p_ts[i], p_target[i], true);
    o_status := 'changed'; o_seq := next_seq; RETURN NEXT;
  END LOOP;
END
$f$;
`;

/** Runs one run of changes; one row per change, in order. */
export const APPLY_CHANGES =
  'SELECT o_ord AS ord, o_status AS status, o_room AS room, o_seq AS seq, o_ts AS ts FROM tether_apply_changes(' +
  '$1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::boolean[], $9::text[], $10::boolean[], $11::int)';

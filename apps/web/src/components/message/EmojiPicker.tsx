/**
 * Every emoji, searchable: a chunk of its own, loaded when "More emoji" is
 * first asked for. Its data (emoji-picker-element-data, built from
 * Emojibase, Apache-2.0) is bundled into the chunk, so nothing is fetched
 * from anyone else at run time. Not the emoji-picker-element component
 * itself: it styles its shadow DOM with inline <style>, which the server's
 * `style-src 'self'` refuses.
 */
import data from 'emoji-picker-element-data/en/emojibase/data.json';
import { useDeferredValue, useEffect, useId, useRef, useState } from 'react';

import { useI18n } from '../../i18n';

interface EmojiEntry {
  emoji: string;
  annotation: string;
  group?: number;
  version: number;
  shortcodes?: string[];
  tags?: string[];
}

// Newer emoji draw as empty boxes on systems whose fonts do not have them yet.
const NEWEST_VERSION = 15;
// Group 2 is the skin-tone swatches, not emoji to react with.
const SKIN_TONES = 2;

const GROUPS_EN = [
  'Smileys',
  'People',
  '',
  'Animals & nature',
  'Food & drink',
  'Travel & places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];
const GROUPS_ZH = [
  '表情',
  '人物',
  '',
  '动物与自然',
  '食物与饮料',
  '旅行与地点',
  '活动',
  '物品',
  '符号',
  '旗帜',
];

interface Group {
  id: number;
  emoji: EmojiEntry[];
}

const GROUPS: Group[] = (() => {
  const groups = new Map<number, EmojiEntry[]>();
  for (const entry of data as EmojiEntry[]) {
    if (entry.group === undefined || entry.group === SKIN_TONES || entry.version > NEWEST_VERSION) continue;
    const list = groups.get(entry.group) ?? [];
    list.push(entry);
    groups.set(entry.group, list);
  }
  return [...groups].sort(([a], [b]) => a - b).map(([id, emoji]) => ({ id, emoji }));
})();

function matches(entry: EmojiEntry, query: string): boolean {
  return (
    entry.annotation.includes(query) ||
    (entry.shortcodes?.some((code) => code.includes(query)) ?? false) ||
    (entry.tags?.some((tag) => tag.startsWith(query)) ?? false)
  );
}

export default function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const { t, locale } = useI18n();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query.trim().toLowerCase());
  const searchRef = useRef<HTMLInputElement>(null);
  const headingPrefix = useId();
  const names = locale === 'zh-CN' ? GROUPS_ZH : GROUPS_EN;

  useEffect(() => {
    searchRef.current?.focus();
  }, []);

  const groups =
    deferred === ''
      ? GROUPS
      : [
          {
            id: -1,
            emoji: GROUPS.flatMap((group) => group.emoji.filter((entry) => matches(entry, deferred))),
          },
        ];
  const empty = groups.every((group) => group.emoji.length === 0);

  return (
    <div className="emoji-picker">
      <input
        ref={searchRef}
        className="field emoji-search"
        type="search"
        aria-label={t.searchEmoji}
        placeholder={t.searchEmoji}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="emoji-scroll">
        {empty && <p className="emoji-empty">{t.noEmoji}</p>}
        {groups.map((group) =>
          group.emoji.length === 0 ? null : (
            <section
              key={group.id}
              aria-labelledby={group.id >= 0 ? `${headingPrefix}-${group.id}` : undefined}
            >
              {group.id >= 0 && (
                <h3 className="emoji-group" id={`${headingPrefix}-${group.id}`}>
                  {names[group.id]}
                </h3>
              )}
              <div className="emoji-grid">
                {group.emoji.map((entry) => (
                  <button
                    key={entry.emoji}
                    type="button"
                    className="emoji-button"
                    aria-label={entry.annotation}
                    title={entry.annotation}
                    onClick={() => onPick(entry.emoji)}
                  >
                    {entry.emoji}
                  </button>
                ))}
              </div>
            </section>
          ),
        )}
      </div>
    </div>
  );
}

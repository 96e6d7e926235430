import { memo } from 'react';

import { Linkified } from './markdown/Linkified';
import { markdownTree, useMarkdown } from './markdown/loader';
import { mayBeMarkdown } from './markdown/tree';

/**
 * Message text: a safe subset of Markdown (bold, italic, strikethrough,
 * code, code blocks, quotes, lists, links) rendered as React elements, and
 * http(s) links found in the text. React escapes every string it renders;
 * the only elements made from a message are the fixed ones of Markdown.tsx,
 * and an `<a>` only for an http(s) URL. Until the parser's chunk is here
 * (markdown/loader.ts) the text shows plain, linkified as before.
 */
export const MessageText = memo(function MessageText({ text }: { text: string }) {
  const markdown = useMarkdown();
  if (markdown && mayBeMarkdown(text)) {
    return <markdown.Markdown blocks={markdownTree(markdown.parseMarkdown, text)} />;
  }
  return <Linkified text={text} />;
});

// Pictographs with what joins or modifies them (ZWJ sequences, skin tones,
// flags, keycaps), and spaces between them: nothing else.
const EMOJI_ONLY =
  /^(?:[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}]|\u200d|\ufe0f|\u20e3|\s)+$/u;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Regional_Indicator}]/gu;

/** A message of a few emoji and nothing else, which shows larger. */
export function isEmojiOnly(text: string): boolean {
  if (!EMOJI_ONLY.test(text)) return false;
  const count = text.match(PICTOGRAPH)?.length ?? 0;
  return count > 0 && count <= 8;
}

/**
 * The Markdown a message may hold, as plain data: what the parser (parse.ts,
 * a chunk loaded on demand) produces and the renderer (Markdown.tsx) turns
 * into React elements. Never HTML: there is no node for it, so nothing in a
 * message can become markup.
 */

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'strong' | 'em' | 's'; c: Inline[] }
  /** `href`: an http(s) URL as the URL parser wrote it; a link to anything else is left as its text. */
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'br' };

export type Block =
  /** `tight`: a paragraph of a tight list item, shown without paragraph spacing. */
  | { t: 'p'; c: Inline[]; tight?: true }
  | { t: 'pre'; v: string }
  | { t: 'quote'; c: Block[] }
  | { t: 'ul'; items: Block[][] }
  | { t: 'ol'; start: number; items: Block[][] };

/**
 * Whether the text may hold Markdown: the parser is asked only then. Most
 * messages have none of these characters and render at once, without
 * waiting for the parser's chunk.
 */
export function mayBeMarkdown(text: string): boolean {
  return /[*_~`>[\\]|^\s*(?:[-+]|\d{1,9}[.)])\s/mu.test(text);
}

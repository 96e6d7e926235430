/**
 * Message Markdown parsed with markdown-it into the tree of tree.ts. A chunk
 * of its own, loaded on demand (loader.ts): the page's first load stays
 * inside its budget.
 *
 * Why markdown-it: it is CommonMark, maintained, and built to be linear on
 * hostile input (it passes CommonMark's pathological cases, nested brackets
 * and emphasis included), which matters when every member of a room parses
 * every message; its token stream maps to our small tree in one pass; and
 * with `html: false` raw HTML is never a token. Only the subset chat needs is
 * on: no headings, tables, rules, images (which would load from anywhere),
 * reference definitions, indented code (four spaces in chat are not code) or
 * entities (`&amp;` stays what was typed).
 */
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';

import { parse as parseUrl } from '../linkify';
import type { Block, Inline } from './tree';

// The renderer travels in this chunk too: only formatted text needs it.
export { Markdown } from './Markdown';

const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false, breaks: true });
md.disable([
  'heading',
  'lheading',
  'table',
  'hr',
  'image',
  'reference',
  'code',
  'entity',
  'html_block',
  'html_inline',
]);

interface InlineFrame {
  node: Inline & { c: Inline[] };
  close: string;
}

function inlines(tokens: readonly Token[]): Inline[] {
  const root: Inline[] = [];
  const stack: InlineFrame[] = [];
  const out = () => stack.at(-1)?.node.c ?? root;
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
      case 'text_special':
        out().push({ t: 'text', v: token.content });
        break;
      case 'code_inline':
        out().push({ t: 'code', v: token.content });
        break;
      case 'softbreak':
      case 'hardbreak':
        out().push({ t: 'br' });
        break;
      case 'strong_open':
      case 'em_open':
      case 's_open': {
        // `__x__` stays as typed: in a chat of engineers it is `__proto__`
        // or `__init__` far more often than bold (`**bold**` is bold).
        if (token.markup === '__') {
          stack.push({ node: { t: 's', c: [{ t: 'text', v: '__' }] }, close: 'literal' });
          break;
        }
        const t = token.type === 'strong_open' ? 'strong' : token.type === 'em_open' ? 'em' : 's';
        const node: InlineFrame['node'] = { t, c: [] };
        out().push(node);
        stack.push({ node, close: token.type.replace('_open', '_close') });
        break;
      }
      case 'link_open': {
        const url = parseUrl(token.attrGet('href') ?? '');
        // `<https://…>`: its text is the URL, which the renderer links
        // with linkify's rules (the host as it resolves, no bidi controls).
        const autolink = token.markup === 'autolink';
        // A link to something else (mailto:, a relative path) is its text.
        const node: InlineFrame['node'] =
          url && !autolink ? { t: 'link', href: url.href, c: [] } : { t: 's', c: [] };
        if (node.t === 'link') out().push(node);
        stack.push({ node, close: 'link_close' });
        break;
      }
      case 'link_close':
      case 'strong_close':
      case 'em_close':
      case 's_close': {
        const frame = stack.pop();
        if (frame?.close === 'literal') {
          // Its delimiters and children as text, where it would have been.
          out().push(...frame.node.c, { t: 'text', v: token.markup });
        } else if (frame && token.type === 'link_close' && frame.node.t !== 'link') {
          // A link left as text: its children go where it would have been.
          out().push(...frame.node.c);
        }
        break;
      }
      default:
        // Nothing else is on (images, HTML): never rendered.
        break;
    }
  }
  return root;
}

interface BlockFrame {
  blocks: Block[];
  close: string;
  list?: Block[][];
}

/** The blocks of a message's text. */
export function parseMarkdown(text: string): Block[] {
  const tokens = md.parse(text, {});
  const root: Block[] = [];
  const stack: BlockFrame[] = [];
  const out = () => stack.at(-1)?.blocks ?? root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    switch (token.type) {
      case 'paragraph_open': {
        const inline = tokens[i + 1];
        const p: Block = { t: 'p', c: inline?.type === 'inline' ? inlines(inline.children ?? []) : [] };
        if (token.hidden) p.tight = true;
        out().push(p);
        // Past the inline token and the paragraph's close.
        i += 2;
        break;
      }
      case 'fence':
        out().push({ t: 'pre', v: token.content.replace(/\n$/u, '') });
        break;
      case 'blockquote_open': {
        const quote: Block & { t: 'quote' } = { t: 'quote', c: [] };
        out().push(quote);
        stack.push({ blocks: quote.c, close: 'blockquote_close' });
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const items: Block[][] = [];
        const start = Number(token.attrGet('start') ?? 1);
        out().push(token.type === 'bullet_list_open' ? { t: 'ul', items } : { t: 'ol', start, items });
        stack.push({ blocks: [], close: token.type.replace('_open', '_close'), list: items });
        break;
      }
      case 'list_item_open': {
        const list = stack.at(-1)?.list;
        const item: Block[] = [];
        list?.push(item);
        stack.push({ blocks: item, close: 'list_item_close' });
        break;
      }
      case 'blockquote_close':
      case 'bullet_list_close':
      case 'ordered_list_close':
      case 'list_item_close':
        stack.pop();
        break;
      default:
        break;
    }
  }
  return root;
}

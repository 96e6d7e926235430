/**
 * The Markdown parser is a chunk of its own (parse.ts with markdown-it,
 * about 40 KB gzipped), fetched once the chat shows and never on the first
 * page load. Until it is here a message renders as plain linkified text;
 * rows re-render when it arrives. Parsed trees are kept per text, so a row
 * that scrolls out of the virtual list and back is not parsed again.
 */
import { useSyncExternalStore } from 'react';
import type { ComponentType } from 'react';

import type { Block } from './tree';

type Parser = (text: string) => Block[];

/** The chunk: the parser and the renderer of its trees. */
export interface MarkdownModule {
  parseMarkdown: Parser;
  Markdown: ComponentType<{ blocks: readonly Block[] }>;
}

let parser: MarkdownModule | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

/** Trees of the texts parsed last; a Map keeps insertion order, so the oldest goes first. */
const trees = new Map<string, Block[]>();
const TREES_KEPT = 1000;

/** Starts fetching the parser (once); resolves when it is ready, or could not be fetched. */
export function loadMarkdown(): Promise<void> {
  loading ??= import('./parse')
    .then((module) => {
      parser = module;
      for (const listener of listeners) listener();
    })
    .catch((error: unknown) => {
      // Offline before the chunk was cached: messages stay plain text, and
      // the next page load tries again.
      console.warn('tether: the Markdown parser could not be loaded', error);
    });
  return loading;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const current = (): MarkdownModule | null => parser;

/** The parser and renderer once loaded (the component re-renders then), else null. */
export function useMarkdown(): MarkdownModule | null {
  return useSyncExternalStore(subscribe, current, current);
}

/** The tree of `text`, from the cache when it was parsed before. */
export function markdownTree(parse: Parser, text: string): Block[] {
  const cached = trees.get(text);
  if (cached) return cached;
  const tree = parse(text);
  if (trees.size >= TREES_KEPT) {
    const oldest = trees.keys().next();
    if (!oldest.done) trees.delete(oldest.value);
  }
  trees.set(text, tree);
  return tree;
}

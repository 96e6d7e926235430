import { Fragment } from 'react';
import type { ReactNode } from 'react';

import { Linkified, MessageLink } from './Linkified';
import type { Block, Inline } from './tree';

function renderInlines(nodes: readonly Inline[], inLink = false): ReactNode[] {
  return nodes.map((node, i) => {
    switch (node.t) {
      case 'text':
        // Inside a link nothing more is linked (a link in a link is invalid HTML).
        return inLink ? <Fragment key={i}>{node.v}</Fragment> : <Linkified key={i} text={node.v} />;
      case 'code':
        return (
          <code key={i} className="md-code">
            {node.v}
          </code>
        );
      case 'br':
        return <br key={i} />;
      case 'strong':
        return <strong key={i}>{renderInlines(node.c, inLink)}</strong>;
      case 'em':
        return <em key={i}>{renderInlines(node.c, inLink)}</em>;
      case 's':
        return <s key={i}>{renderInlines(node.c, inLink)}</s>;
      case 'link':
        return (
          <MessageLink key={i} href={node.href}>
            {renderInlines(node.c, true)}
          </MessageLink>
        );
    }
  });
}

function renderBlocks(blocks: readonly Block[]): ReactNode[] {
  return blocks.map((block, i) => {
    switch (block.t) {
      case 'p':
        return block.tight ? (
          <Fragment key={i}>{renderInlines(block.c)}</Fragment>
        ) : (
          <p key={i} className="md-p">
            {renderInlines(block.c)}
          </p>
        );
      case 'pre':
        // Focusable: a code block wider than the message scrolls sideways,
        // and a keyboard must be able to scroll it too.
        return (
          <pre key={i} className="md-pre" tabIndex={0}>
            <code>{block.v}</code>
          </pre>
        );
      case 'quote':
        return (
          <blockquote key={i} className="md-quote">
            {renderBlocks(block.c)}
          </blockquote>
        );
      case 'ul':
        return (
          <ul key={i} className="md-list">
            {block.items.map((item, j) => (
              <li key={j}>{renderBlocks(item)}</li>
            ))}
          </ul>
        );
      case 'ol':
        return (
          <ol key={i} className="md-list" start={block.start}>
            {block.items.map((item, j) => (
              <li key={j}>{renderBlocks(item)}</li>
            ))}
          </ol>
        );
    }
  });
}

/** A message's Markdown tree as React elements: text nodes and a fixed set of elements, never HTML. */
export function Markdown({ blocks }: { blocks: readonly Block[] }) {
  return <>{renderBlocks(blocks)}</>;
}

/**
 * Message text: the Markdown subset as React elements, links only to
 * http(s), nothing a message says ever becoming HTML, and emoji-only
 * messages.
 */
import { render, screen } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadMarkdown } from './markdown/loader';
import { parseMarkdown } from './markdown/parse';
import { mayBeMarkdown } from './markdown/tree';
import { isEmojiOnly, MessageText } from './MessageText';

beforeAll(async () => {
  await loadMarkdown();
});

function html(text: string): string {
  const { container } = render(
    <div>
      <MessageText text={text} />
    </div>,
  );
  return container.innerHTML;
}

describe('MessageText › Markdown', () => {
  it.each([
    ['**bold**', '<strong>bold</strong>'],
    ['*italic* and _italic_', '<em>italic</em> and <em>italic</em>'],
    ['~~gone~~', '<s>gone</s>'],
    ['use `npm i`', 'use <code class="md-code">npm i</code>'],
  ])('renders %s', (text, expected) => {
    expect(html(text)).toContain(expected);
  });

  it('renders a fenced code block in a scrollable pre, its text as written', () => {
    const { container } = render(<MessageText text={'```ts\nconst a = 1 < 2;\n  **not bold**\n```'} />);
    const pre = container.querySelector('pre.md-pre');
    expect(pre?.textContent).toBe('const a = 1 < 2;\n  **not bold**');
    expect(pre?.querySelector('strong')).toBeNull();
    expect(pre?.getAttribute('tabindex')).toBe('0');
  });

  it('renders quotes and lists', () => {
    const { container } = render(<MessageText text={'> quoted\n\n- one\n- two\n\n3. three\n4. four'} />);
    expect(container.querySelector('blockquote')?.textContent).toBe('quoted');
    expect([...container.querySelectorAll('ul li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(container.querySelector('ol')?.getAttribute('start')).toBe('3');
  });

  it('keeps what chat does not format as typed: headings, rules, indented text, entities', () => {
    const { container } = render(<MessageText text={'# not a heading\n\n---\n\n    four spaces &amp;'} />);
    expect(container.querySelector('h1, hr, pre')).toBeNull();
    expect(container.textContent).toContain('# not a heading');
    expect(container.textContent).toContain('&amp;');
  });

  it('keeps __dunder__ names as typed (bold is **bold**)', () => {
    const { container } = render(<MessageText text="__proto__ was here, and __init__ **too**" />);
    expect(container.textContent).toBe('__proto__ was here, and __init__ too');
    expect(container.querySelectorAll('strong')).toHaveLength(1);
  });

  it('keeps line breaks', () => {
    expect(html('*a*\nb')).toContain('<em>a</em><br>b');
  });

  it('links [text](https://…) with the URL in its title, opened without an opener', () => {
    render(<MessageText text="see [the docs](https://example.com/a_b) *now*" />);
    const link = screen.getByRole('link', { name: 'the docs' });
    expect(link.getAttribute('href')).toBe('https://example.com/a_b');
    expect(link.getAttribute('title')).toBe('https://example.com/a_b');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('still links bare URLs in formatted text, with linkify’s rules (punycode host, no bidi controls)', () => {
    render(<MessageText text={'**look** https://аpple.com/\u202ex'} />);
    const link = screen.getByRole('link');
    expect(link.textContent).toBe('https://xn--pple-43d.com/x');
  });
});

describe('MessageText › hostile text', () => {
  it.each([
    '<img src=x onerror="alert(1)"> **b**',
    '<script>alert(1)</script> *i*',
    '**<b onclick=alert(1)>x</b>**',
    '`<iframe src=https://evil.example>` > q',
  ])('never makes HTML of %s', (text) => {
    const { container } = render(<MessageText text={text} />);
    expect(container.querySelector('img, script, iframe, b')).toBeNull();
    expect(container.textContent).toContain('<');
  });

  it.each([
    '[click](javascript:alert(1))',
    '[click](JAVASCRIPT:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD4=)',
    '[click](vbscript:msgbox)',
    '[click](/relative/path)',
    '[click](mailto:a@b.c) *x*',
    '<javascript:alert(1)>',
    '![img](https://tracker.example/pixel.png)',
  ])('makes no link but http(s) of %s', (text) => {
    const { container } = render(<MessageText text={text} />);
    for (const a of container.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^https?:\/\//);
    expect(container.querySelector('img')).toBeNull();
  });

  it.each([
    ['nested brackets', '['.repeat(4000)],
    ['emphasis openers', '*a '.repeat(1333)],
    ['backticks', '`'.repeat(4000)],
    ['quotes', '>'.repeat(4000)],
    ['list markers', '- '.repeat(2000)],
    ['links', '[a](b'.repeat(800)],
  ])('parses 4,000 characters of %s in linear time', (_, text) => {
    const started = performance.now();
    parseMarkdown(text);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('emoji-only messages', () => {
  it.each(['👍', '🎉🎉', '👍🏽 ❤️', '👨‍👩‍👧', '🇫🇷'])('%s is emoji only', (text) => {
    expect(isEmojiOnly(text)).toBe(true);
  });

  it.each(['ok 👍', '1', '#', '👍'.repeat(9), ''])('%s is not', (text) => {
    expect(isEmojiOnly(text)).toBe(false);
  });
});

describe('mayBeMarkdown', () => {
  it('lets plain text skip the parser', () => {
    expect(mayBeMarkdown('hello there, how are you?')).toBe(false);
    expect(mayBeMarkdown('a **b**')).toBe(true);
    expect(mayBeMarkdown('- item')).toBe(true);
    expect(mayBeMarkdown('1. item')).toBe(true);
  });
});

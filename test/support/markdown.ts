// Reading Markdown as GitHub renders it, for the tests of the documentation and of the help's
// links into it: heading anchors (GitHub's slugs), fenced code blocks and links.

/** A fenced code block: lang is the first word of its info string, line the 1-based line of its opening fence. */
export interface FencedBlock {
  info: string;
  lang: string;
  body: string;
  line: number;
}

/** An ATX heading outside code blocks. */
export interface Heading {
  level: number;
  text: string;
  line: number;
}

/** An inline link or image, target as written. */
export interface MarkdownLink {
  text: string;
  target: string;
  line: number;
}

/** GitHub's anchor for a heading (as github-slugger makes it), from the heading's Markdown. */
export function githubSlug(markdown: string): string {
  const text = markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/<[^>]*>/g, '')
    .replace(/`/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/**
 * The lines of a Markdown document, each with whether it is inside a fenced code block (the fence
 * lines themselves count as inside), and the fence blocks: { info, lang, body, line } where line
 * is the 1-based line of the opening fence and lang the first word of its info string.
 */
function scan(markdown: string): { lines: string[]; inFence: boolean[]; blocks: FencedBlock[] } {
  const lines = markdown.split('\n');
  const inFence: boolean[] = [];
  const blocks: FencedBlock[] = [];
  let fence: string | null = null;
  let block: FencedBlock | null = null;
  lines.forEach((line, index) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})\s*([^`]*)$/.exec(line);
    if (fence === null && opening) {
      fence = opening[1];
      const info = opening[2].trim();
      block = { info, lang: info.split(/\s+/)[0].toLowerCase(), body: '', line: index + 1 };
      inFence.push(true);
      return;
    }
    if (fence !== null) {
      inFence.push(true);
      const closing = /^\s{0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (closing && closing[1][0] === fence[0] && closing[1].length >= fence.length) {
        if (block) blocks.push(block);
        fence = null;
        block = null;
      } else if (block) {
        block.body += `${line}\n`;
      }
      return;
    }
    inFence.push(false);
  });
  if (block) blocks.push(block); // an unclosed fence runs to the end, as GitHub renders it
  return { lines, inFence, blocks };
}

/** The ATX headings of a Markdown document outside code blocks: { level, text, line }. */
export function headingsOf(markdown: string): Heading[] {
  const { lines, inFence } = scan(markdown);
  const headings: Heading[] = [];
  lines.forEach((line, index) => {
    if (inFence[index]) return;
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) headings.push({ level: heading[1].length, text: heading[2], line: index + 1 });
  });
  return headings;
}

/** The anchors of a Markdown document's headings, numbered like GitHub's when two are the same. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of headingsOf(markdown)) {
    const slug = githubSlug(text);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The fenced code blocks of a document, in order: { info, lang, body, line }. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  return scan(markdown).blocks;
}

/**
 * The inline links and images of a document outside code: { text, target, line }, target as
 * written (`docs/x.md#y`, `#y`, `https://…`). Code spans are skipped, so `[a](b)` in code is none.
 */
export function linksOf(markdown: string): MarkdownLink[] {
  const { lines, inFence } = scan(markdown);
  const links: MarkdownLink[] = [];
  lines.forEach((line, index) => {
    if (inFence[index]) return;
    const text = line.replace(/(`+)[\s\S]*?\1/g, (code) => ' '.repeat(code.length));
    for (const match of text.matchAll(/!?\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ text: match[1], target: match[2], line: index + 1 });
    }
  });
  return links;
}

// The README is the map and docs/ the territory: the README stays short enough to read, every page
// in docs/ is reachable from it, and no relative link (file or heading) leads nowhere, so a moved
// file or a renamed heading is caught here rather than by a reader.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';

const repoRoot = config().repoRoot;
const docsDir = path.join(repoRoot, 'docs');
const README_MAX_LINES = 250;

interface Link { target: string; line: number }

/** Markdown without its fenced code blocks (lines kept, so line numbers stay right). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((line, i) => {
    // Code spans may hold text that looks like a link, and link texts may be code spans.
    const text = line.replace(/`[^`]*`/g, 'code');
    for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: match[1]!, line: i + 1 });
  });
  return links;
}

/** The anchors GitHub gives a file's headings. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const repoPath = (file: string) => path.relative(repoRoot, file).split(path.sep).join('/');
const readme = path.join(repoRoot, 'README.md');
const markdownFiles = [readme, ...filesUnder(docsDir).filter((file) => file.endsWith('.md'))];

/** A relative link's file, as a path from the repository root; null for URLs and in-page anchors. */
function linkedFile(from: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) return null;
  const file = decodeURIComponent(target.split('#')[0]!);
  return repoPath(path.resolve(path.dirname(from), file));
}

t.test(`README.md is at most ${README_MAX_LINES} lines`, async (t) => {
  const lines = fs.readFileSync(readme, 'utf8').replace(/\n$/, '').split('\n').length;
  t.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail into a page of docs/`);
});

t.test('every page in docs/ is reached from README.md by following links', async (t) => {
  // The README links the topic pages; a page may hold pages of its own (the published bench
  // report is linked from the performance page).
  const reached = new Set<string>();
  const pending = [readme];
  while (pending.length) {
    const file = pending.pop()!;
    for (const link of linksOf(fs.readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('#')) continue;
      const target = linkedFile(file, link.target);
      if (!target || reached.has(target) || !target.endsWith('.md') || !fs.existsSync(path.join(repoRoot, target))) continue;
      reached.add(target);
      pending.push(path.join(repoRoot, target));
    }
  }
  const pages = filesUnder(docsDir).filter((file) => file.endsWith('.md')).map(repoPath);
  t.ok(pages.length > 0, 'docs/ has pages');
  for (const page of pages) t.ok(reached.has(page), `${page} is reached from README.md`);
});

t.test('every relative link in README.md and docs/ leads to a file, and to a heading it names', async (t) => {
  for (const from of markdownFiles) {
    const markdown = fs.readFileSync(from, 'utf8');
    for (const { target, line } of linksOf(markdown)) {
      const where = `${repoPath(from)}:${line}: ${target}`;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const anchor = target.includes('#') ? decodeURIComponent(target.slice(target.indexOf('#') + 1)) : null;
      const file = target.startsWith('#') ? repoPath(from) : linkedFile(from, target)!;
      const absolute = path.join(repoRoot, file);
      if (!t.ok(fs.existsSync(absolute), `${where}: ${file} exists`)) continue;
      if (anchor !== null && file.endsWith('.md')) {
        t.ok(anchorsOf(fs.readFileSync(absolute, 'utf8')).has(anchor), `${where}: ${file} has a heading #${anchor}`);
      }
    }
  }
});

t.test('the link checker itself: what it finds and what it ignores', async (t) => {
  const markdown = [
    '# Timeouts, 503s and health',
    'See [`lib/config.ts`](../lib/config.ts), [the API](command-api.md#who-may-send-what) and [web](https://example.com).',
    '`[not a link](nowhere.md)`',
    '```',
    '[inside a fence](nowhere.md)',
    '## Pipeline status: `outflow status`',
    '```',
    '## Pipeline status: `outflow status`',
    '## Pipeline status: `outflow status`',
  ].join('\n');
  t.same(linksOf(markdown).map((link) => link.target), ['../lib/config.ts', 'command-api.md#who-may-send-what', 'https://example.com']);
  t.same([...anchorsOf(markdown)], ['timeouts-503s-and-health', 'pipeline-status-outflow-status', 'pipeline-status-outflow-status-1']);
  t.equal(linkedFile(path.join(docsDir, 'operations.md'), '../lib/config.ts#L10'), 'lib/config.ts');
  t.equal(linkedFile(path.join(docsDir, 'operations.md'), '#tracing'), null);
});

// docs/contributing.md lists the files a new read model or event type touches. The lists are
// kept true here: each listed path exists for every read model (or event type, or aggregate) the
// project has, and a read model's folder holds exactly the files the page lists.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { readModels } from '../../read-models/registry.ts';
import { declaredSources, sourceNamed } from '../../connectors/sourceConnector.ts';
import { AGGREGATE_TYPES, EVENT_TYPES } from '../../schemas/eventCatalog.ts';

const root = config().repoRoot;
const guide = fs.readFileSync(path.join(root, 'docs', 'contributing.md'), 'utf8');

/** The paths a section's list items start with: the first backticked token of each item that looks like a path. */
function listedPaths(heading: string): string[] {
  const start = guide.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`docs/contributing.md has no section "${heading}"`);
  const end = guide.indexOf('\n## ', start + 1);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^(?:\d+\.|-) `([^`\s]+\/[^`\s]*)`/gm)].map((m) => m[1] as string);
}

const names = readModels.map(({ projection }) => projection.name);
const exists = (relative: string) => fs.existsSync(path.join(root, relative));

t.test("adding a read model: every listed file exists for each read model, and its folder holds no other", async (t) => {
  const paths = listedPaths('Adding a read model');
  t.ok(paths.length >= 5, `the section lists its files (${paths.join(', ')})`);
  const folderFiles = paths.filter((p) => p.startsWith('read-models/<name>/')).map((p) => p.slice('read-models/<name>/'.length));
  t.ok(folderFiles.length > 0 && folderFiles.length <= 4, `a read model's folder is at most four files (${folderFiles.join(', ')})`);
  for (const name of names) {
    for (const listed of paths) t.ok(exists(listed.replaceAll('<name>', name)), `${listed.replaceAll('<name>', name)} exists`);
    const actual = fs.readdirSync(path.join(root, 'read-models', name)).sort();
    t.same(actual, [...folderFiles].sort(), `read-models/${name}/ holds exactly the files the page lists`);
  }
});

t.test('adding an event type: every listed file exists for each event type and aggregate', async (t) => {
  const paths = listedPaths('Adding an event type');
  t.ok(paths.length >= 5, `the section lists its files (${paths.join(', ')})`);
  for (const listed of paths) {
    // The command API's folders hold the aggregates its database publishes; another service's are its own.
    const aggregates = listed.startsWith('command-api/') ? sourceNamed(config(), 'command-api').aggregates : AGGREGATE_TYPES;
    const expanded = listed.includes('<EventType>')
      ? EVENT_TYPES.map((eventType) => listed.replaceAll('<EventType>', eventType))
      : listed.includes('<source>')
        ? declaredSources(config()).map((source) => listed.replaceAll('<source>', source.name))
      : listed.includes('<aggregate>')
        ? aggregates.map((aggregate) => listed.replaceAll('<aggregate>', aggregate))
        : listed.includes('<name>')
          ? names.map((name) => listed.replaceAll('<name>', name))
          : [listed];
    for (const file of expanded) t.ok(exists(file), `${file} exists`);
  }
});

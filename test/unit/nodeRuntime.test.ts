// The project runs on one Node LTS line: the suite itself runs on it (npm test fetched it where
// the machine's was older), every installed package accepts it (so npm prints no EBADENGINE),
// and package.json says so.
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { NODE_MAJOR, NODE_VERSION } from '../../infra/local/nodeRuntime.mjs';

const root = config().repoRoot;
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

t.test('the suite runs on the project Node', async (t) => {
  t.equal(Number(process.versions.node.split('.')[0]) >= NODE_MAJOR, true, `running on ${process.version}, the project's line is ${NODE_MAJOR}`);
});

t.test("package.json's engines names the project Node, and the fetched release satisfies it", async (t) => {
  const range = packageJson.engines?.node as string;
  t.ok(semver.satisfies(NODE_VERSION, range), `${NODE_VERSION} satisfies ${range}`);
  t.notOk(semver.satisfies(`${NODE_MAJOR - 1}.99.0`, range), `an older line (${NODE_MAJOR - 1}) does not`);
});

t.test('every installed package accepts the project Node (no EBADENGINE on install)', async (t) => {
  const refusing: string[] = [];
  let checked = 0;
  for (const [where, entry] of Object.entries(lock.packages as Record<string, { engines?: { node?: string } | string[] }>)) {
    const engines = entry.engines;
    const range = engines && !Array.isArray(engines) ? engines.node : undefined;
    if (!where || !range) continue;
    checked += 1;
    if (!semver.satisfies(NODE_VERSION, range, { includePrerelease: true })) refusing.push(`${where} (${range})`);
  }
  t.ok(checked > 50, `${checked} packages declare a Node range`);
  t.same(refusing, [], `Node ${NODE_VERSION} is accepted by all of them`);
});

t.test('the container image builds on the same Node line', async (t) => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const bases = [...dockerfile.matchAll(/^FROM\s+node:(\d+)[^\s]*/gm)].map((m) => Number(m[1]));
  t.ok(bases.length > 0, 'the Dockerfile starts from a node image');
  t.same([...new Set(bases)], [NODE_MAJOR], `every stage on node:${NODE_MAJOR}`);
});

// read-models/registry.ts is the one place a read model is listed: every folder under read-models/
// is in it, and no source file outside a read model's own folder names one (by its name or by
// importing its files). The projector, verify, the query API and the local stack all derive their
// lists from it; a read model added to the registry alone reaches all of them.
import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { projectorWorkerEndpoints } from '../../infra/local/serviceComponents.ts';
import { readModelChecks, allProjections, readModels } from '../../read-models/registry.ts';

const root = config().repoRoot;
const READ_MODELS = path.join(root, 'read-models');
// Where the product's own code lives. test/ and bench/ exercise particular read models on purpose.
const SOURCE_FOLDERS = ['bin', 'command-api', 'connectors', 'infra', 'lib', 'projectors', 'query-api', 'read-models', 'schemas', 'status'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'target' ? [] : sourceFiles(full);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [full] : [];
  });
}

const names = readModels.map(({ projection }) => projection.name);
const folders = fs.readdirSync(READ_MODELS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

t.test('every folder under read-models/ is one read model of the registry, named as its folder', async (t) => {
  t.same([...folders].sort(), [...names].sort());
  t.equal(new Set(names).size, names.length, 'no read model twice');
  t.same(allProjections.map((p) => p.name), names, "the projector's list is the registry's");
  t.same(readModelChecks.map((c) => c.projection.name), names, "verify's checks are the registry's");
  for (const readModel of readModels) t.equal(readModel.check.projection, readModel.projection, `${readModel.projection.name}: the check compares its own projection`);
});

t.test('no source file outside a read model names it or imports its files, but the registry', async (t) => {
  const registry = path.join(READ_MODELS, 'registry.ts');
  const offenders: string[] = [];
  for (const file of SOURCE_FOLDERS.flatMap((folder) => sourceFiles(path.join(root, folder)))) {
    if (file === registry) continue;
    const own = path.relative(READ_MODELS, file).split(path.sep)[0];
    const text = fs.readFileSync(file, 'utf8');
    for (const name of names) {
      if (own === name) continue;
      if (new RegExp(`['"\`]${name}['"\`]`).test(text)) offenders.push(`${path.relative(root, file)} names '${name}'`);
      if (new RegExp(`from ['"][./]*(?:read-models/)?${name}/`).test(text) || text.includes(`read-models/${name}/`)) {
        offenders.push(`${path.relative(root, file)} imports read-models/${name}/`);
      }
    }
  }
  t.same(offenders, []);
});

t.test("each read model's worker has a port of its own that no other read model's change can move", async (t) => {
  const offsets = readModels.map((r) => r.localWorkerPortOffset);
  t.equal(new Set(offsets).size, offsets.length, 'offsets are unique');
  for (const offset of offsets) t.ok(Number.isInteger(offset) && offset >= 0, `offset ${offset} is a non-negative integer`);
  const base = config().projector.httpPort;
  const endpoints = projectorWorkerEndpoints(config());
  t.same(endpoints.map((e) => e.projection), names, 'one worker per read model');
  for (const readModel of readModels) {
    t.equal(endpoints.find((e) => e.projection === readModel.projection.name)?.port, base + readModel.localWorkerPortOffset);
  }
});

t.test("each read model's query routes answer from that read model and no route is registered twice", async (t) => {
  const seen = new Map<string, string>();
  for (const readModel of readModels) {
    const app = Fastify();
    const routes: { url: string; method: string; readModel: string | undefined }[] = [];
    app.addHook('onRoute', (route) => {
      routes.push({ url: route.url, method: String(route.method), readModel: (route.config as { readModel?: string } | undefined)?.readModel });
    });
    // Registering touches no connection: the handlers use them only when a request comes.
    readModel.queryRoutes(app, { connections: {} as never, minVersionTimeoutMs: 1, readGraceMs: 1 });
    await app.ready();
    const name = readModel.projection.name;
    t.ok(routes.length > 0, `${name} serves at least one route`);
    for (const route of routes.filter((r) => r.method !== 'HEAD')) {
      t.equal(route.readModel, name, `${route.method} ${route.url} names ${name} as its read model (Outflow-Freshness)`);
      const key = `${route.method} ${route.url}`;
      t.notOk(seen.has(key), `${key} is registered by ${name} only`);
      seen.set(key, name);
    }
    await app.close();
  }
});

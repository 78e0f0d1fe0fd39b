import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { errorCatalog } from '../../lib/errors.ts';

const readme = fs.readFileSync(path.join(config().repoRoot, 'README.md'), 'utf8');

t.test('every error code is documented in the README with its meaning', async (t) => {
  for (const [code, meaning] of Object.entries(errorCatalog)) {
    t.ok(readme.includes(`| \`${code}\` | ${meaning} |`), `${code} is in the README's error catalog`);
  }
});

t.test('the README documents no code the catalog lacks', async (t) => {
  const documented = [...readme.matchAll(/\| `(OUTFLOW_ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
  t.same(documented.sort(), Object.keys(errorCatalog).sort());
});

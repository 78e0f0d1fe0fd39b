import fs from 'node:fs';
import t from 'tap';
import { ERRORS_DOC_FILE, REGENERATE_ERRORS_DOC, withErrorCatalogTable } from '../../lib/errorCatalogDoc.ts';
import { ERROR_CODES, errorCodes, httpStatusesOf } from '../../lib/errorCodes.ts';

t.test('docs/errors.md holds the table lib/errorCodes.ts generates', async (t) => {
  const page = fs.readFileSync(ERRORS_DOC_FILE, 'utf8');
  t.equal(page, withErrorCatalogTable(page), `run \`${REGENERATE_ERRORS_DOC}\` and commit docs/errors.md`);
});

t.test('docs/errors.md documents every code once, and no code the table lacks', async (t) => {
  const page = fs.readFileSync(ERRORS_DOC_FILE, 'utf8');
  const documented = [...page.matchAll(/^\| `(OUTFLOW_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  t.same(documented, ERROR_CODES);
});

t.test('every row says what its code means, and its status only in its status', async (t) => {
  for (const code of ERROR_CODES) {
    const { meaning } = errorCodes[code];
    t.match(meaning, /^\S.*[.]$/, `${code}: its meaning is a sentence`);
    t.notMatch(meaning, /\(HTTP \d/, `${code}: its status is in its row, not in its meaning`);
    for (const status of httpStatusesOf(code)) t.ok(status >= 400 && status < 600, `${code}: ${status} is an error status`);
  }
});

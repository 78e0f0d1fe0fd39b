// Writes the table of docs/errors.md from lib/errorCodes.ts, so the page cannot drift from the
// codes the project raises (a unit test regenerates it in memory and compares).
// Run: node --import=tsx lib/errorCatalogDoc.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CODES, errorCodes, httpStatusesOf, type ErrorCodeRow } from './errorCodes.ts';

export const ERRORS_DOC_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'errors.md');
export const REGENERATE_ERRORS_DOC = 'node --import=tsx lib/errorCatalogDoc.ts';

const BEGIN = `<!-- error-codes:begin: generated from lib/errorCodes.ts by \`${REGENERATE_ERRORS_DOC}\` -->`;
const END = '<!-- error-codes:end -->';

function retriableCell(retriable: ErrorCodeRow['retriable']): string {
  if (retriable === true) return 'yes';
  if (retriable === false) return 'no';
  return 'depends';
}

/** Markdown table cells: a `|` in a meaning would split its row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The catalog table, one row per code, in the order of lib/errorCodes.ts. */
export function errorCatalogTable(): string {
  const rows = ERROR_CODES.map((code) => {
    const row: ErrorCodeRow = errorCodes[code];
    const statuses = httpStatusesOf(code);
    return `| \`${code}\` | ${statuses.length ? statuses.join(', ') : '—'} | ${retriableCell(row.retriable)} | ${cell(row.meaning)} |`;
  });
  return ['| code | HTTP | retriable | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The page with the text between its markers replaced by the generated table. */
export function withErrorCatalogTable(page: string): string {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin === -1 || end < begin) {
    throw new Error(`${path.relative(process.cwd(), ERRORS_DOC_FILE)} lacks the markers of its error table: ${BEGIN} … ${END}`);
  }
  return `${page.slice(0, begin + BEGIN.length)}\n${errorCatalogTable()}\n${page.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  fs.writeFileSync(ERRORS_DOC_FILE, withErrorCatalogTable(fs.readFileSync(ERRORS_DOC_FILE, 'utf8')));
  console.log(`wrote ${path.relative(process.cwd(), ERRORS_DOC_FILE)}`);
}

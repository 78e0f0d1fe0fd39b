// Defence in depth behind the request schemas: a data exception (SQLSTATE class 22) or an
// integrity violation (class 23) that reaches the error handler is a 4xx in the JSON error
// shape, never a 500. The errors are Postgres's own, from the test stack.
import Fastify from 'fastify';
import pg from 'pg';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { errorReply } from '../../lib/httpErrorReply.ts';
import { ensureStack } from '../support/stack.ts';

await ensureStack('postgres');
const settings = config().postgres;
const pool = new pg.Pool({ host: settings.host, port: settings.port, user: settings.user, password: settings.password, database: settings.writeDatabase, max: 1 });
const app = Fastify({ logger: false });
app.setErrorHandler(errorReply);
app.get('/year-zero', async () => pool.query(`SELECT '0000-01-01'::date`));
app.get('/nul', async () => pool.query('SELECT $1::text', ['a\u0000b']));
// A temporary table: nothing outlives the session, and nothing shared is touched.
app.get('/check', async () => pool.query(`DO $$ BEGIN CREATE TEMP TABLE IF NOT EXISTS positive (n integer CHECK (n > 0)); INSERT INTO pg_temp.positive VALUES (-1); END $$`));
app.get('/other', async () => pool.query('SELECT * FROM no_such_table_anywhere'));
t.teardown(async () => {
  await app.close();
  await pool.end();
});

t.test('class 22 is 400 OUTFLOW_ERR_DATA_REFUSED, class 23 is 422 OUTFLOW_ERR_INTEGRITY', async (t) => {
  for (const [url, status, code, sqlState] of [
    ['/year-zero', 400, 'OUTFLOW_ERR_DATA_REFUSED', '22008'],
    ['/nul', 400, 'OUTFLOW_ERR_DATA_REFUSED', '22021'],
    ['/check', 422, 'OUTFLOW_ERR_INTEGRITY', '23514'],
  ] as const) {
    const response = await app.inject({ method: 'GET', url });
    t.equal(response.statusCode, status, `${url}: ${response.body}`);
    t.match(response.json(), { error: { code, message: String, details: { sqlState } } }, url);
  }
});

t.test('other SQLSTATEs are not the request\'s fault: still 500, without internals', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/other' });
  t.equal(response.statusCode, 500);
  t.equal((response.json() as { error: { code: string } }).error.code, 'OUTFLOW_ERR_INTERNAL');
  t.notMatch(response.body, /no_such_table/);
});

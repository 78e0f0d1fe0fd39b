import t from 'tap';
import pg from 'pg';
import { config } from '../../lib/config.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

await ensureStack('postgres', 'postgres-read');
const settings = config().postgres;

function connect(database: string, user = settings.user, password = settings.password) {
  return new pg.Client({ host: settings.host, port: settings.port, user, password, database });
}

t.test('the cluster is set up for logical decoding', async (t) => {
  const client = connect(settings.writeDatabase);
  await client.connect();
  t.teardown(() => client.end());
  const setting = async (name: string) => (await client.query(`SHOW ${name}`)).rows[0][name];
  t.equal(await setting('wal_level'), 'logical');
  t.ok(Number(await setting('max_replication_slots')) >= 4);
  t.ok(Number(await setting('max_wal_senders')) >= 4);
  t.not(await setting('idle_in_transaction_session_timeout'), '0');
});

t.test('a write and read round trip over TCP with password auth', async (t) => {
  const client = connect(settings.writeDatabase);
  await client.connect();
  t.teardown(() => client.end());
  const table = uniqueName('roundtrip').replaceAll('-', '_');
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, body text NOT NULL)`);
  t.teardown(() => client.query(`DROP TABLE ${table}`));
  await client.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, 'hello outflow']);
  const { rows } = await client.query(`SELECT body FROM ${table} WHERE id = 1`);
  t.same(rows, [{ body: 'hello outflow' }]);
});

t.test('the registry database exists and a wrong password is refused', async (t) => {
  const client = connect(settings.registryDatabase);
  await client.connect();
  t.equal((await client.query('SELECT current_database() AS db')).rows[0].db, settings.registryDatabase);
  await client.end();
  const intruder = connect(settings.writeDatabase, settings.user, 'wrong-password');
  await t.rejects(intruder.connect(), { code: '28P01' });
});

t.test('the CDC role can open a replication connection', async (t) => {
  const client = new pg.Client({
    host: settings.host, port: settings.port, user: settings.cdcUser, password: settings.cdcPassword,
    database: settings.writeDatabase, replication: 'database',
  } as pg.ClientConfig);
  await client.connect();
  t.teardown(() => client.end());
  const result = await client.query('IDENTIFY_SYSTEM');
  t.ok(result.rows[0].xlogpos, 'IDENTIFY_SYSTEM reports a WAL position');
});

t.test('the read model is a separate server: the projector role owns tables there, the query role only reads', async (t) => {
  const read = config().readModel.postgres;
  const projector = new pg.Client({ host: read.host, port: read.port, user: read.user, password: read.password, database: read.database });
  await projector.connect();
  t.teardown(() => projector.end());
  t.not(read.port, settings.port);
  const table = uniqueName('grants').replaceAll('-', '_');
  await projector.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  t.teardown(() => projector.query(`DROP TABLE ${table}`));
  await projector.query(`INSERT INTO ${table} VALUES (1)`);

  const query = new pg.Client({ host: read.host, port: read.port, user: read.queryUser, password: read.queryPassword, database: read.database });
  await query.connect();
  t.teardown(() => query.end());
  t.same((await query.query(`SELECT id FROM ${table}`)).rows, [{ id: 1 }], 'the query role reads projector tables');
  await t.rejects(query.query(`INSERT INTO ${table} VALUES (2)`), { code: '42501' }, 'and cannot write them');
  const intoWrite = new pg.Client({ host: settings.host, port: settings.port, user: read.queryUser, password: read.queryPassword, database: settings.writeDatabase });
  await t.rejects(intoWrite.connect(), 'the query role does not exist on the write server');
});

// PostgreSQL: the stack's own clusters (never the machine's default one). The write
// cluster is configured for logical decoding so Debezium can stream the outbox from the
// WAL; the read-model cluster is a separate server, so reads keep working while the
// write database is down.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StackComponentError } from '../../../lib/errors.ts';
import { postgresBinDir } from '../prerequisites.ts';
import { asUser, readPid, runCommand, stopProcess, tailFile } from '../processControl.ts';
import { handOver } from '../osUser.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';

const SUPERUSER = 'postgres';

export interface PostgresRole {
  name: string;
  password: string;
  attributes: string;
}

export interface PostgresInstance {
  /** Component name, also the name of its data, socket and log paths. */
  name: string;
  port: number;
  roles: PostgresRole[];
  /** Databases to create, each owned by a role above. */
  databases: { name: string; owner: string }[];
  /** SQL run as superuser in each database after it exists (grants); must be idempotent. */
  grants?: (database: string) => string[];
}

/** The write cluster: write model (and its outbox), registry storage. */
export function writePostgresInstance({ config }: ComponentContext): PostgresInstance {
  const p = config.postgres;
  return {
    name: 'postgres',
    port: p.port,
    roles: [
      { name: p.user, password: p.password, attributes: 'LOGIN CREATEDB' },
      { name: p.cdcUser, password: p.cdcPassword, attributes: 'LOGIN REPLICATION' },
    ],
    databases: [
      { name: p.writeDatabase, owner: p.user },
      { name: p.paymentsDatabase, owner: p.user },
      { name: p.registryDatabase, owner: p.user },
    ],
  };
}

/** The read-model cluster: projectors own its tables, the query API may only read them. */
export function readPostgresInstance({ config }: ComponentContext): PostgresInstance {
  const r = config.readModel.postgres;
  return {
    name: 'postgres-read',
    port: r.port,
    roles: [
      { name: r.user, password: r.password, attributes: 'LOGIN' },
      { name: r.queryUser, password: r.queryPassword, attributes: 'LOGIN' },
    ],
    databases: [{ name: r.database, owner: r.user }],
    // Tables the projector role creates later are readable by the query role, and by nothing else.
    grants: (database) => [
      `REVOKE ALL ON DATABASE ${pg.escapeIdentifier(database)} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${pg.escapeIdentifier(r.user)}, ${pg.escapeIdentifier(r.queryUser)}`,
      `GRANT USAGE ON SCHEMA public TO ${pg.escapeIdentifier(r.queryUser)}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${pg.escapeIdentifier(r.user)} GRANT SELECT ON TABLES TO ${pg.escapeIdentifier(r.queryUser)}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${pg.escapeIdentifier(r.user)} GRANT USAGE ON SCHEMAS TO ${pg.escapeIdentifier(r.queryUser)}`,
      `GRANT CREATE ON DATABASE ${pg.escapeIdentifier(database)} TO ${pg.escapeIdentifier(r.user)}`,
    ],
  };
}

export function postgresComponent(context: ComponentContext, instance: PostgresInstance): StackComponent {
  const { config, layout } = context;
  const name = instance.name;
  const osUser = config.stack.postgresOsUser;
  const dataDir = layout.data(name);
  const socketDir = path.join(layout.runDir, name);
  const logFile = layout.logFile(name);
  const bin = (tool: string) => path.join(postgresBinDir(), tool);
  const port = instance.port;

  const superuserClient = (database = 'postgres') =>
    new pg.Client({ host: socketDir, port, user: SUPERUSER, database });

  async function runAsOwner(tool: string, args: string[]) {
    const [command, fullArgs] = asUser(osUser, bin(tool), args);
    const result = await runCommand(command, fullArgs, { cwd: os.tmpdir() });
    if (result.code !== 0) {
      throw new StackComponentError(name, `${tool} ${args.join(' ')} failed`, {
        logTail: `${result.stdout}\n${result.stderr}\n${tailFile(logFile)}`,
      });
    }
    return result;
  }

  return {
    name,
    version: path.basename(path.dirname(postgresBinDir())),
    port,
    dataDir,
    logFile,
    pidFile: layout.pidFile(name),

    async prepare() {
      for (const dir of [dataDir, socketDir, path.dirname(logFile)]) fs.mkdirSync(dir, { recursive: true });
      if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
      await handOver(osUser, dataDir, socketDir, logFile);

      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        // scram for TCP needs a superuser password at initdb time; nothing uses it
        // (bootstrap goes through the Unix socket with peer-less trust), so it is not kept.
        const pwFile = path.join(socketDir, 'initdb.pw');
        fs.writeFileSync(pwFile, crypto.randomBytes(24).toString('hex'));
        await handOver(osUser, pwFile);
        try {
          await runAsOwner('initdb', [
            '-D', dataDir, '-U', SUPERUSER, '--pwfile', pwFile, '-E', 'UTF8', '--locale=C',
            '--auth-local=trust', '--auth-host=scram-sha-256',
          ]);
        } finally {
          fs.rmSync(pwFile, { force: true });
        }
        fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), "\ninclude 'outflow.conf'\n");
      }

      // Rewritten on every start so a changed port or limit takes effect.
      fs.writeFileSync(
        path.join(dataDir, 'outflow.conf'),
        [
          `listen_addresses = '${config.stack.host}'`,
          `port = ${port}`,
          `unix_socket_directories = '${socketDir}'`,
          'wal_level = logical',
          'max_replication_slots = 16',
          'max_wal_senders = 16',
          // Bounds the WAL a stopped or stuck connector's slot can pin (the slot is invalidated instead).
          `max_slot_wal_keep_size = '${config.postgres.maxSlotWalKeepSize}'`,
          'max_connections = 300',
          'shared_buffers = 256MB',
          // A stuck session must not pin the WAL (and the replication slot) forever.
          "idle_in_transaction_session_timeout = '60s'",
          "password_encryption = 'scram-sha-256'",
          '',
        ].join('\n'),
      );
      await handOver(osUser, path.join(dataDir, 'outflow.conf'));
    },

    async start() {
      await runAsOwner('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '120', 'start']);
      const pid = readPid(path.join(dataDir, 'postmaster.pid'));
      if (pid === undefined) throw new StackComponentError(name, 'started but wrote no postmaster.pid', { logTail: tailFile(logFile) });
      return pid;
    },

    async probe() {
      const client = superuserClient();
      await client.connect();
      try {
        const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
        return `wal_level=${rows[0]?.wal_level}`;
      } finally {
        await client.end();
      }
    },

    async afterStart() {
      const client = superuserClient();
      await client.connect();
      try {
        for (const role of instance.roles) await ensureRole(client, role.name, role.password, role.attributes);
        for (const { name: database, owner } of instance.databases) {
          const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)} OWNER ${pg.escapeIdentifier(owner)}`);
        }
      } finally {
        await client.end();
      }
      for (const { name: database } of instance.databases) {
        const statements = instance.grants?.(database) ?? [];
        if (!statements.length) continue;
        const inDatabase = superuserClient(database);
        await inDatabase.connect();
        try {
          for (const statement of statements) await inDatabase.query(statement);
        } finally {
          await inDatabase.end();
        }
      }
    },

    async stop(pid) {
      if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        const [command, args] = asUser(osUser, bin('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
        const result = await runCommand(command, args, { cwd: os.tmpdir() });
        if (result.code === 0) return;
      }
      // SIGINT is Postgres' "fast shutdown": roll back open transactions, checkpoint, exit.
      await stopProcess(pid, { signal: 'SIGINT' });
    },
  };
}

async function ensureRole(client: pg.Client, name: string, password: string, attributes: string) {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  const verb = rowCount ? 'ALTER' : 'CREATE';
  await client.query(`${verb} ROLE ${pg.escapeIdentifier(name)} ${attributes} PASSWORD ${pg.escapeLiteral(password)}`);
}

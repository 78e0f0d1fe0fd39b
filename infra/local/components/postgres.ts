// PostgreSQL: the stack's own cluster (never the machine's default one), configured
// for logical decoding so Debezium can stream the outbox from the WAL.
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

export function postgresComponent({ config, layout }: ComponentContext): StackComponent {
  const osUser = config.stack.postgresOsUser;
  const dataDir = layout.data('postgres');
  const socketDir = path.join(layout.runDir, 'postgres');
  const logFile = layout.logFile('postgres');
  const bin = (tool: string) => path.join(postgresBinDir(), tool);
  const settings = config.postgres;

  const superuserClient = (database = 'postgres') =>
    new pg.Client({ host: socketDir, port: settings.port, user: SUPERUSER, database });

  async function runAsOwner(tool: string, args: string[]) {
    const [command, fullArgs] = asUser(osUser, bin(tool), args);
    const result = await runCommand(command, fullArgs, { cwd: os.tmpdir() });
    if (result.code !== 0) {
      throw new StackComponentError('postgres', `${tool} ${args.join(' ')} failed`, {
        logTail: `${result.stdout}\n${result.stderr}\n${tailFile(logFile)}`,
      });
    }
    return result;
  }

  return {
    name: 'postgres',
    version: path.basename(path.dirname(postgresBinDir())),
    port: settings.port,
    dataDir,
    logFile,
    pidFile: layout.pidFile('postgres'),

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
          `port = ${settings.port}`,
          `unix_socket_directories = '${socketDir}'`,
          'wal_level = logical',
          'max_replication_slots = 16',
          'max_wal_senders = 16',
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
      if (pid === undefined) throw new StackComponentError('postgres', 'started but wrote no postmaster.pid', { logTail: tailFile(logFile) });
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
        await ensureRole(client, settings.user, settings.password, 'LOGIN CREATEDB');
        await ensureRole(client, settings.cdcUser, settings.cdcPassword, 'LOGIN REPLICATION');
        for (const database of [settings.writeDatabase, settings.readDatabase, settings.registryDatabase]) {
          const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)} OWNER ${pg.escapeIdentifier(settings.user)}`);
        }
      } finally {
        await client.end();
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

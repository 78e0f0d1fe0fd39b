// Redis with AOF persistence: read models must survive a restart of the server.
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { StackComponentError } from '../../../lib/errors.ts';
import { pollUntil } from '../../../lib/pollUntil.ts';
import { runCommand, runningPid, stopProcess, tailFile } from '../processControl.ts';
import type { ComponentContext, StackComponent } from '../stackComponent.ts';

/** Creates the server's directories; returns the installed redis-server's version. */
export async function prepareRedisServer(dataDir: string, logFile: string): Promise<string> {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const { stdout } = await runCommand('redis-server', ['--version']);
  return /v=(\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

/** Starts a daemonized redis-server with AOF (fsync every second), `extraArgs` added; resolves with its pid. */
export async function startRedisServer(
  name: string,
  server: { host: string; port: number; dataDir: string; logFile: string; pidFile: string },
  extraArgs: readonly string[] = [],
): Promise<number> {
  const { host, port, dataDir, logFile, pidFile } = server;
  const result = await runCommand('redis-server', [
    '--bind', host,
    '--port', String(port),
    ...extraArgs,
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'yes',
    '--pidfile', pidFile,
    '--logfile', logFile,
  ]);
  if (result.code !== 0) throw new StackComponentError(name, 'redis-server failed to start', { logTail: result.stderr + tailFile(logFile) });
  return pollUntil(`${name} pid file`, async () => runningPid(pidFile), { timeoutMs: 10_000, intervalMs: 50 });
}

export function redisComponent({ config, layout }: ComponentContext): StackComponent {
  const dataDir = layout.data('redis');
  const logFile = layout.logFile('redis');
  const pidFile = layout.pidFile('redis');
  let version = 'unknown';

  return {
    name: 'redis',
    get version() {
      return version;
    },
    port: config.redis.port,
    dataDir,
    logFile,
    pidFile,

    async prepare() {
      version = await prepareRedisServer(dataDir, logFile);
    },

    start: () => startRedisServer('redis', { host: config.stack.host, port: config.redis.port, dataDir, logFile, pidFile }),

    async probe() {
      const client = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        const info = await client.info('server');
        version = /redis_version:(\S+)/.exec(info)?.[1] ?? version;
        const aof = /aof_enabled:(\d)/.exec(await client.info('persistence'))?.[1];
        return `PONG=${await client.ping()} aof=${aof === '1' ? 'on' : 'off'}`;
      } finally {
        client.disconnect();
      }
    },

    // SIGTERM makes Redis fsync the append-only file before it exits.
    stop: (pid) => stopProcess(pid, { signal: 'SIGTERM' }),
  };
}

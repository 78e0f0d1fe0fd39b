// Counts the commands one Redis connection sends while a piece of work runs, as the server
// executes them (MONITOR): round trips counted, not timed. Commands a Lua script runs come with
// source "lua" and are part of the one command that ran the script, so they are not counted.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { pollUntil } from '../../lib/pollUntil.ts';
import type { RedisConnection } from '../../lib/redisConnection.ts';

export interface RedisCommandCounter {
  /** Runs `work` and returns what it returned with the commands `watched` sent meanwhile (name first, lower case). */
  during<T>(work: () => Promise<T>): Promise<{ result: T; commands: string[][] }>;
  close(): void;
}

/** The address the server sees for a connection (CLIENT INFO's addr), as MONITOR names it. */
async function addressOf(redis: Redis): Promise<string> {
  const info = String(await redis.client('INFO'));
  const addr = /(?:^|\s)addr=(\S+)/.exec(info)?.[1];
  if (!addr) throw new Error(`CLIENT INFO without addr: ${info}`);
  return addr;
}

export async function redisCommandCounter(url: string, connection: RedisConnection): Promise<RedisCommandCounter> {
  if (connection.isCluster) throw new Error('redisCommandCounter watches one server (MONITOR); it was given a cluster connection');
  const watched = connection as Redis;
  const address = await addressOf(watched);
  // monitor() opens a connection of its own; the client it is called on never connects.
  const monitor = await new Redis(url, { lazyConnect: true }).monitor();
  const seen: { source: string; args: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === address) seen.push({ source, args });
  });
  const markerAt = (marker: string) => seen.findIndex(({ args }) => args[0]?.toLowerCase() === 'echo' && args[1] === marker);
  return {
    async during(work) {
      // Markers sent on the watched connection itself: Redis runs one connection's commands in
      // the order sent, and MONITOR reports them in the order run, so the work sits between them.
      const start = `count-start-${crypto.randomUUID()}`;
      const end = `count-end-${crypto.randomUUID()}`;
      await watched.echo(start);
      const result = await work();
      await watched.echo(end);
      await pollUntil('the monitor saw the end marker', async () => (markerAt(end) >= 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 5 });
      const commands = seen.slice(markerAt(start) + 1, markerAt(end)).map(({ args }) => [(args[0] ?? '').toLowerCase(), ...args.slice(1)]);
      return { result, commands };
    },
    close: () => monitor.disconnect(),
  };
}

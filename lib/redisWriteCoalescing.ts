// Lets a Redis connection write every command issued in one turn of the event loop with one
// socket write. Under many concurrent requests the query API's lookups each went to the socket
// by themselves: a system call apiece, each waking Redis for one command. Corking the socket
// at the turn's first command and uncorking it once the turn's I/O callbacks are done
// (setImmediate) sends them together, as a pipeline, without ioredis's enableAutoPipelining,
// whose callback throws inside ioredis when a pipeline fails without results (Redis gone).
// Commands, replies and errors stay each command's own: only the socket writes are grouped.
// A cluster connection is left as it is: its commands go out on one socket per node, each
// opened and replaced by ioredis as the slot map changes.
import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { RedisConnection } from './redisConnection.ts';

const coalescing = new WeakSet<Redis>();

/** Makes `redis` group the socket writes of each event-loop turn; once per connection object. */
export function coalesceWritesPerTurn<R extends RedisConnection>(connection: R): R {
  if (connection.isCluster) return connection;
  const redis = connection as Redis;
  if (coalescing.has(redis)) return connection;
  coalescing.add(redis);
  const send = redis.sendCommand.bind(redis);
  let corked: Writable | undefined;
  redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    // Before `ready` commands wait in ioredis's offline queue, not on the socket.
    const socket = redis.status === 'ready' ? (redis as unknown as { stream?: Writable }).stream : undefined;
    if (socket && corked === undefined && !socket.destroyed) {
      corked = socket;
      socket.cork();
      setImmediate(() => {
        corked = undefined;
        socket.uncork();
      });
    }
    return send(...args);
  };
  return connection;
}

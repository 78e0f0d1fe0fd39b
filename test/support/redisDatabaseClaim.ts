// A Redis logical database of a test's own. The pipeline lives in database 0, where a read
// model's live pointer belongs to the stack; a test that must move a pointer (to read through
// it, or to switch it) claims one of the others with SET NX, so no concurrent run shares it.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';

const CLAIM_KEY = 'outflow:test:claimed-by';
/** A crashed run's claim lapses after this; no test holds a database longer. */
const CLAIM_TTL_S = 900;

export interface ClaimedRedisDatabase {
  index: number;
  /** `url` pointing at the claimed database. */
  url: string;
  release(): Promise<void>;
}

const releaseIfOurs = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export async function claimRedisDatabase(url: string): Promise<ClaimedRedisDatabase> {
  const owner = crypto.randomUUID();
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const databases = Number(((await probe.config('GET', 'databases')) as string[])[1] ?? 16);
    for (let index = 1; index < databases; index += 1) {
      await probe.select(index);
      if ((await probe.set(CLAIM_KEY, owner, 'EX', CLAIM_TTL_S, 'NX')) !== 'OK') continue;
      const claimed = new URL(url);
      claimed.pathname = `/${index}`;
      return {
        index,
        url: claimed.toString(),
        async release() {
          const redis = new Redis(claimed.toString(), { maxRetriesPerRequest: 1 });
          try {
            await redis.eval(releaseIfOurs, 1, CLAIM_KEY, owner);
          } finally {
            redis.disconnect();
          }
        },
      };
    }
    throw new Error(`every Redis database but 0 of ${url} is claimed by another test run`);
  } finally {
    probe.disconnect();
  }
}

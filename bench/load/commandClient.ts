// Commands and queries over the bench's undici pools, as the admin (commands) or with no key
// (queries are public). Bodies are read to the end so the connection returns to the pool.
import type { Dispatcher, Pool } from 'undici';
import type { Config } from '../../lib/config.ts';
import { configuredKeysFor } from '../../lib/auth/localKeys.ts';

export interface HttpReply<T = unknown> {
  status: number;
  body: T;
}

/** The Authorization header of the configured admin key: the benchmark acts as an operator would. */
export function adminAuthorization(config: Config): string {
  const admin = configuredKeysFor(config.commandApi.host, config.auth.apiKeys).find((k) => k.role === 'admin');
  if (!admin) throw new Error('OUTFLOW_API_KEYS has no admin key: the benchmark sends commands and reads as an admin');
  return `Bearer ${admin.key}`;
}

export class CommandClient {
  private readonly authorization: string;

  constructor(config: Config, private readonly pool: Pool) {
    this.authorization = adminAuthorization(config);
  }

  async send<T = { aggregateId: string; version: number }>(method: Dispatcher.HttpMethod, path: string, body: unknown): Promise<HttpReply<T>> {
    const response = await this.pool.request({
      method,
      path,
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: (await response.body.json()) as T };
  }
}

/** GET with the given Authorization and read the body; the status tells success. */
export async function getJson(pool: Pool, path: string, authorization: string): Promise<HttpReply> {
  const response = await pool.request({ method: 'GET', path, headers: { authorization } });
  return { status: response.statusCode, body: await response.body.json() };
}

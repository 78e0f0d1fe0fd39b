// The few Confluent-compatible registry calls outflow makes (Apicurio's /apis/ccompat/v7).
//
// Plain fetch rather than @kafkajs/confluent-schema-registry: that client folds every failure
// into one error type, so "registry down" (retry) and "id 404" (poison) could only be told
// apart by parsing messages; it also has no compatibility-check or config calls, and its
// decode reads with the writer schema only, while projectors must resolve into the local one.
import {
  RegistryRejected,
  RegistryUnavailable,
} from '../lib/errors.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

interface ErrorBody {
  error_code?: number;
  message?: string;
}

export class RegistryClient {
  readonly url: string;
  readonly #timeoutMs: number;

  constructor(url: string, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** The writer schema text of an id, or null when the registry has no such id. */
  async schemaById(id: number): Promise<string | null> {
    const body = await this.#request<{ schema: string }>('GET', `/schemas/ids/${id}`, `fetching schema id ${id}`, { notFound: [40403] });
    return body?.schema ?? null;
  }

  /** The subject's version holding this schema, or null when the subject or the schema is absent. */
  async lookup(subject: string, schema: string): Promise<RegisteredSchema | null> {
    return this.#request<RegisteredSchema>('POST', `/subjects/${enc(subject)}`, `looking up ${subject}`, {
      body: { schema, schemaType: 'AVRO' },
      notFound: [40401, 40403],
    });
  }

  async subjects(): Promise<string[]> {
    return (await this.#request<string[]>('GET', '/subjects', 'listing subjects')) ?? [];
  }

  /** The subject's versions, or null when the subject does not exist. */
  async versions(subject: string): Promise<number[] | null> {
    return this.#request<number[]>('GET', `/subjects/${enc(subject)}/versions`, `listing versions of ${subject}`, { notFound: [40401] });
  }

  async version(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const found = await this.#request<RegisteredSchema>('GET', `/subjects/${enc(subject)}/versions/${version}`, `reading ${subject} version ${version}`);
    if (!found) throw new RegistryRejected(`reading ${subject} version ${version}`, 404, 'not found');
    return found;
  }

  /** The registry's own verdict against the latest version, under the subject's configured level. */
  async isCompatibleWithLatest(subject: string, schema: string): Promise<boolean> {
    const body = await this.#request<{ is_compatible: boolean }>(
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`,
      `checking ${subject} against its latest version`,
      { body: { schema, schemaType: 'AVRO' }, notFound: [40401, 40402] },
    );
    return body?.is_compatible ?? true;
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#request('PUT', `/config/${enc(subject)}`, `setting ${subject} to ${level}`, { body: { compatibility: level } });
  }

  /** The subject's own level, or null when it inherits the global one. */
  async compatibility(subject: string): Promise<string | null> {
    const body = await this.#request<{ compatibilityLevel: string }>('GET', `/config/${enc(subject)}`, `reading the level of ${subject}`, {
      notFound: [40401, 40408],
    });
    return body?.compatibilityLevel ?? null;
  }

  /** Registers the schema under the subject and returns its id (the existing id if already there). */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.#request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, `registering ${subject}`, {
      body: { schema, schemaType: 'AVRO' },
    });
    if (!body) throw new RegistryRejected(`registering ${subject}`, 404, 'not found');
    return body.id;
  }

  /** Soft then permanent delete (the Confluent API only hard-deletes what is soft-deleted). */
  async deleteSubject(subject: string): Promise<void> {
    await this.#request('DELETE', `/subjects/${enc(subject)}`, `deleting ${subject}`, { notFound: [40401, 40404] });
    await this.#request('DELETE', `/subjects/${enc(subject)}?permanent=true`, `deleting ${subject}`, { notFound: [40401, 40404] });
  }

  async #request<T>(
    method: string,
    path: string,
    what: string,
    { body, notFound = [] }: { body?: unknown; notFound?: number[] } = {},
  ): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: body === undefined ? { accept: CONTENT_TYPE } : { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new RegistryUnavailable(what, `${this.url}: ${reason}`, { cause: error });
    }
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : null) as T;
    const error = parseErrorBody(text);
    if (response.status === 404 && (error.error_code === undefined || notFound.includes(error.error_code))) return null;
    if (response.status >= 500 || response.status === 429) {
      throw new RegistryUnavailable(what, `HTTP ${response.status} ${error.message ?? text}`);
    }
    throw new RegistryRejected(what, response.status, error.message ?? text);
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function parseErrorBody(text: string): ErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as ErrorBody) : {};
  } catch {
    // Not JSON (a proxy's HTML page, say): the raw text is the message.
    return { message: text.slice(0, 200) };
  }
}

// A small typed client for the Kafka Connect REST API: only what the operator CLI and
// `outflow start` need. Every failure is a ConnectRequestFailed carrying Connect's own
// error text; it is retriable when Connect cannot be reached or is mid-rebalance (409).
import { ConnectRequestFailed, type FieldError } from '../lib/errors.ts';
import type { ConnectorSettings } from './connectorConfig.ts';

export type ConnectorState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

export interface ConnectorStatus {
  name: string;
  connector: { state: ConnectorState; worker_id: string; trace?: string };
  tasks: { id: number; state: ConnectorState; worker_id: string; trace?: string }[];
  type: string;
}

export interface ConnectorOffsets {
  offsets: { partition: Record<string, unknown>; offset: Record<string, unknown> }[];
}

export interface ConnectorPlugin {
  class: string;
  type: 'source' | 'sink';
  version: string;
}

export interface TaskConfig {
  id: { connector: string; task: number };
  config: Record<string, string>;
}

interface ValidationResponse {
  error_count: number;
  configs: { value: { name: string; errors: string[] } }[];
}

/** Connect answers HTTP 409 while the worker group rebalances; the same request then succeeds. */
const retriableStatuses = new Set([409, 502, 503, 504]);

export class ConnectClient {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor({ url, timeoutMs = 30_000 }: { url: string; timeoutMs?: number }) {
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  /** The connector plugins the worker found on its plugin.path when it started. */
  async plugins(): Promise<ConnectorPlugin[]> {
    return this.request<ConnectorPlugin[]>('GET', '/connector-plugins');
  }

  /** The names of every connector Connect runs, declared here or not. */
  async list(): Promise<string[]> {
    return this.request<string[]>('GET', '/connectors');
  }

  /** Validates a config against the plugin; returns one entry per rejected key (empty when valid). */
  async validate(name: string, config: ConnectorSettings): Promise<FieldError[]> {
    const connectorClass = config['connector.class'];
    if (!connectorClass) return [{ field: 'connector.class', message: 'is required' }];
    const result = await this.request<ValidationResponse>('PUT', `/connector-plugins/${encodeURIComponent(connectorClass)}/config/validate`, { ...config, name });
    return result.configs.flatMap(({ value }) => value.errors.map((message) => ({ field: value.name, message })));
  }

  /** PUT /connectors/{name}/config: creates the connector or replaces its config (idempotent). */
  async createOrUpdate(name: string, config: ConnectorSettings): Promise<{ created: boolean }> {
    const { status } = await this.requestWithStatus('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
    return { created: status === 201 };
  }

  /** The connector's current config, or undefined when no connector has that name. */
  async connectorConfig(name: string): Promise<ConnectorSettings | undefined> {
    return this.requestOptional<ConnectorSettings>('GET', `/connectors/${encodeURIComponent(name)}/config`);
  }

  /** The connector's and its tasks' states, or undefined when no connector has that name. */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    return this.requestOptional<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(name)}/status`);
  }

  async taskConfigs(name: string): Promise<TaskConfig[] | undefined> {
    return this.requestOptional<TaskConfig[]>('GET', `/connectors/${encodeURIComponent(name)}/tasks`);
  }

  /** Restarts the connector and, by default, its tasks too (a connector restart alone leaves a failed task failed). */
  async restart(name: string, { includeTasks = true, onlyFailed = false } = {}): Promise<void> {
    await this.request('POST', `/connectors/${encodeURIComponent(name)}/restart?includeTasks=${includeTasks}&onlyFailed=${onlyFailed}`);
  }

  async pause(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/pause`);
  }

  async resume(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }

  /**
   * Creates the connector in the STOPPED state (Connect 3.5+): it exists, with its config and
   * offsets, but runs no task until resumed, so its offsets can be reset before it ever streams.
   */
  async createStopped(name: string, config: ConnectorSettings): Promise<void> {
    await this.request('POST', '/connectors', { name, config, initial_state: 'STOPPED' });
  }

  /** Stops the connector and its tasks (Connect 3.5+); unlike pause, the tasks are shut down and release the slot. */
  async stop(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/stop`);
  }

  /** Forgets the connector's committed source offsets (Connect 3.6+); the connector must be STOPPED. */
  async resetOffsets(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  /** Deletes the connector; its committed offsets stay in Connect's offsets topic. */
  async delete(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}`);
  }

  /** The source offsets Connect has committed for the connector (for Debezium: the LSN it has read up to). */
  async offsets(name: string): Promise<ConnectorOffsets> {
    return this.request<ConnectorOffsets>('GET', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  private async requestOptional<T>(method: string, route: string): Promise<T | undefined> {
    const { status, body } = await this.requestWithStatus(method, route, undefined, [404]);
    return status === 404 ? undefined : (body as T);
  }

  private async request<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    return (await this.requestWithStatus(method, route, body)).body as T;
  }

  private async requestWithStatus(method: string, route: string, body?: unknown, accepted: number[] = []): Promise<{ status: number; body: unknown }> {
    const what = `${method} ${route}`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
      throw new ConnectRequestFailed(what, `cannot reach ${this.url}: ${reason}`, { retriable: true, cause: error });
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok || accepted.includes(response.status)) return { status: response.status, body: parsed };
    const message = typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String(parsed.message) : text || response.statusText;
    throw new ConnectRequestFailed(what, message, { status: response.status, retriable: retriableStatuses.has(response.status) });
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Connect's Jetty answers some errors (e.g. 404 on an unknown path) with HTML, not JSON.
    return text;
  }
}

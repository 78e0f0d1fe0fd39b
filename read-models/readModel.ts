// A read model as one module: everything outflow does with one read model comes from here.
// The projector runs its projection, `outflow verify` runs its check, the query API registers its
// routes, and the local stack gives its worker a port of its own. read-models/registry.ts lists
// the modules; nothing else names a read model.
import type { FastifyInstance } from 'fastify';
import type { ProjectionDefinition } from '../projectors/projection.ts';
import type { ReadModelCheck } from '../projectors/verification/readModelCheck.ts';
import type { ReadConnections } from '../query-api/http/readConnections.ts';

export interface QueryRouteContext {
  connections: ReadConnections;
  /** Read this generation instead of the live one (the pointer): tests read generations of their own. */
  generation?: number;
  /** How long a read with X-Min-Version waits for the read model to reach that version. */
  minVersionTimeoutMs: number;
  /** How long past that wait a read still in flight may take (the store client's command timeout). */
  readGraceMs: number;
}

export interface ReadModel {
  projection: ProjectionDefinition;
  /** How `outflow verify` compares the read model with the write model. */
  check: ReadModelCheck;
  /**
   * Registers the read model's query routes. Each route names the read model in its config
   * (`config: { readModel: name }`), so its answers carry the model's Outflow-Freshness.
   */
  queryRoutes(app: FastifyInstance, context: QueryRouteContext): void;
  /**
   * The local stack runs one worker per read model on the projector's base port plus this offset:
   * fixed per read model, so adding one moves no other worker's port.
   */
  localWorkerPortOffset: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The read model a route answers from: its answers carry that model's Outflow-Freshness. */
    readModel?: string;
  }
}

// The whole pipeline for the rebuild tests: the command API in-process (write database,
// outbox, Debezium), a projector worker following the live generations of every projection
// (as `outflow start` runs them), and helpers to seed catalog and orders and to verify.
import type { FastifyInstance } from 'fastify';
import { applyAllSources } from '../../connectors/applyConnector.ts';
import { config, type Config } from '../../lib/config.ts';
import { createLogger } from '../../lib/logger.ts';
import { registryLiveGenerations } from '../../projectors/generations/registryLiveGenerations.ts';
import { allProjections } from '../../read-models/registry.ts';
import { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';
import { verifyPipeline, type VerifyReport } from '../../projectors/verification/verifyPipeline.ts';
import { closeReadConnections, openReadConnections } from '../../query-api/main.ts';
import type { ReadConnections } from '../../query-api/http/readConnections.ts';
import { buildQueryApi } from '../../query-api/server.ts';
import { commandApiHarness, CUSTOMER_KEY, type Harness } from './commandApiHarness.ts';
import { ensureStack, uniqueName } from './stack.ts';

export const QUERY_ADMIN_KEY = 'rebuild-test-admin-key-0123';

export interface RebuildPipeline {
  config: Config;
  commands: Harness;
  worker: ProjectorWorker;
  /** Creates products whose descriptions share one word; returns their SKUs and the word. */
  seedProducts(count: number): Promise<{ skus: string[]; word: string }>;
  /** Places orders of one line each, round-robin over the SKUs; returns the order ids. */
  placeOrders(skus: readonly string[], count: number): Promise<string[]>;
  verify(projections: readonly string[], rounds?: number): Promise<VerifyReport>;
  /** A query API over the live read models (the pointers), driven with inject(); `settings` override its config.queryApi. */
  queryApi(settings?: Partial<Config['queryApi']>): Promise<{ app: FastifyInstance; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function rebuildPipeline(): Promise<RebuildPipeline> {
  await ensureStack();
  const quiet: Config = { ...config(), logLevel: 'silent' };
  const commands = await commandApiHarness();
  await applyAllSources(config());
  const worker = await ProjectorWorker.start({ config: quiet, projections: allProjections, liveGenerations: registryLiveGenerations, httpPort: null, log: createLogger('projector-test', 'silent') });
  const address = { name: 'Ada', line1: '1 Analytical Way', city: 'London', postalCode: 'N1', country: 'GB' };

  return {
    config: quiet,
    commands,
    worker,
    async seedProducts(count) {
      const word = uniqueName('word').replace(/[^a-z0-9]/g, '');
      const skus: string[] = [];
      for (let i = 0; i < count; i++) {
        const sku = uniqueName('rebuild-sku');
        const body = { sku, name: `Rebuild shoe ${i}`, description: `made of ${word}`, category: 'rebuild', brand: 'Outflow', priceCents: 1000 + i, initialStock: 100_000 };
        const response = await commands.send('POST', '/products', { body });
        if (response.statusCode !== 201) throw new Error(response.body);
        skus.push(sku);
      }
      return { skus, word };
    },
    async placeOrders(skus, count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const body = { items: [{ sku: skus[i % skus.length]!, quantity: 1 }], shippingAddress: address };
        const response = await commands.send('POST', '/orders', { key: CUSTOMER_KEY, body });
        if (response.statusCode !== 201) throw new Error(response.body);
        ids.push(response.json().aggregateId);
      }
      return ids;
    },
    verify: (projections, rounds = 3) => verifyPipeline(quiet, { projections, rounds, timeoutMs: 180_000 }),
    async queryApi(settings = {}) {
      const queryConfig: Config = {
        ...quiet,
        queryApi: { ...quiet.queryApi, ...settings },
        auth: { ...quiet.auth, apiKeys: [{ name: 'rebuild-test-admin', key: QUERY_ADMIN_KEY, role: 'admin' }] },
      };
      const connections: ReadConnections = openReadConnections(queryConfig);
      const app = await buildQueryApi({ config: queryConfig, ...connections });
      return {
        app,
        async close() {
          await app.close();
          await closeReadConnections(connections);
        },
      };
    },
    async close() {
      await worker.stop();
      await commands.close();
    },
  };
}

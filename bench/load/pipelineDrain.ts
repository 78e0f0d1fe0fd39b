// Waits until the live pipeline has caught up with everything written so far (the connector has
// streamed the outbox, every live read model has applied its topics), as `outflow verify` does:
// a latency scenario that starts while an earlier one's backlog drains would measure that backlog.
import { liveGenerations } from '../../projectors/generations/generationRegistry.ts';
import { allProjections } from '../../read-models/registry.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { openStoreConnections } from '../../projectors/runtime/storeConnections.ts';
import { waitForAllSources } from '../../connectors/cdcCatchUp.ts';
import { waitForProjections } from '../../projectors/verification/catchUp.ts';
import type { BenchContext } from '../benchContext.ts';

export async function waitForPipelineIdle(context: BenchContext, timeoutMs = 300_000): Promise<number> {
  const began = performance.now();
  const deadline = Date.now() + timeoutMs;
  await waitForAllSources(context.config, deadline);
  const stores = openStoreConnections({ ...context.config, logLevel: 'silent' });
  try {
    const live = await liveGenerations(stores.connections.readPostgres, allProjections.map((p) => p.name));
    const targets = allProjections.map((p) => {
      const generation = live.get(p.name) ?? 1;
      return { projection: p.name, generation, topics: topicsOf(p), store: p.createStore(stores.connections, generation) };
    });
    await waitForProjections(context.connections.admin, targets, deadline);
  } finally {
    await stores.close();
  }
  return (performance.now() - began) / 1000;
}

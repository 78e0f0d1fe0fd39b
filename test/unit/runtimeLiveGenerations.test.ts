// A worker without a fixed generation follows the live generations it is handed; the runtime
// itself knows no registry, so a worker given neither refuses before connecting to anything.
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { registryLiveGenerations } from '../../projectors/generations/registryLiveGenerations.ts';
import { orderSummaryProjection } from '../../read-models/order-summary/projection.ts';
import { ProjectorWorker } from '../../projectors/runtime/projectorWorker.ts';

t.test('a worker needs a fixed generation or the live generations to follow', async (t) => {
  await t.rejects(ProjectorWorker.start({ config: loadConfig({}), projections: [orderSummaryProjection], httpPort: null }), /pass liveGenerations/);
});

t.test('the registry answers every question a following worker asks', async (t) => {
  t.same(Object.keys(registryLiveGenerations).sort(), ['drop', 'ensureLive', 'expiredRetired', 'live', 'prepare']);
  for (const question of Object.values(registryLiveGenerations)) t.type(question, 'function');
});

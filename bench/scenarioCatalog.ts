// Every scenario `outflow bench` can run, by name, in the order a full run takes them.
import type { ScenarioName } from './benchResult.ts';
import type { Scenario } from './scenario.ts';
import { commandLatencyScenario } from './scenarios/commandLatency.ts';
import { endToEndFreshnessScenario } from './scenarios/endToEndFreshness.ts';
import { queryLatencyScenario } from './scenarios/queryLatency.ts';
import { projectorThroughputScenario } from './scenarios/projectorThroughput.ts';
import { rebuildThroughputScenario } from './scenarios/rebuildThroughput.ts';
import { scaleOutScenario } from './scenarios/scaleOut.ts';
import { memoryScenario } from './scenarios/memory.ts';

export const scenarioCatalog: Readonly<Record<ScenarioName, Scenario>> = Object.freeze({
  commands: commandLatencyScenario,
  freshness: endToEndFreshnessScenario,
  queries: queryLatencyScenario,
  'projector-throughput': projectorThroughputScenario,
  rebuild: rebuildThroughputScenario,
  'scale-out': scaleOutScenario,
  memory: memoryScenario,
});

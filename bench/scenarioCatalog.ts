// Every scenario `outflow bench` can run, by name, in the order a full run takes them.
import type { ScenarioName } from './benchResult.ts';
import type { Scenario } from './scenario.ts';
import { commandLatencyScenario } from './scenarios/commandLatency.ts';

export const scenarioCatalog: Readonly<Record<ScenarioName, Scenario>> = Object.freeze({
  commands: commandLatencyScenario,
} as Record<ScenarioName, Scenario>);

// Scenario 7: memory. Peak resident memory (VmHWM: the most since the process started, so a run
// of every scenario reports the peak under all the load above) and current RSS of each service
// `npm start` runs, after this scenario's own mixed load: commands, order lookups and searches.
import { LocalStack } from '../../infra/local/localStack.ts';
import type { Measurement } from '../benchResult.ts';
import { adminAuthorization, CommandClient, getJson } from '../load/commandClient.ts';
import { CommandMix } from '../load/commandMix.ts';
import { runOpenLoop } from '../load/openLoopLoad.ts';
import { processMemoryMiB } from '../load/processMemory.ts';
import { row, type Scenario } from '../scenario.ts';

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory: peak RSS of each service under load',
  async run(context) {
    const { connections, progress, sizes, config } = context;
    const client = new CommandClient(config, connections.commandApi);
    const authorization = adminAuthorization(config);
    const mix = new CommandMix(`${context.runId}-${this.name}`);
    await mix.seed(client);
    const commandRate = context.mode === 'dry' ? 10 : 200;
    const readRate = context.mode === 'dry' ? 20 : 500;
    progress.note(`memory: ${commandRate} commands/s and ${readRate} reads/s for ${sizes.memorySeconds} s`);
    const placed: string[] = [];
    await Promise.all([
      runOpenLoop({
        rate: commandRate,
        durationSeconds: sizes.memorySeconds,
        maxInFlight: 128,
        onProgress: (done, total) => progress.update('memory', `${done}/${total} commands`),
        operation: async (i) => {
          const command = mix.placeOrder(i);
          const reply = await client.send(command.method, command.path, command.body);
          if (reply.status === 201) placed.push(reply.body.aggregateId);
        },
      }),
      runOpenLoop({
        rate: readRate,
        durationSeconds: sizes.memorySeconds,
        maxInFlight: 128,
        operation: async (i) => {
          const path = i % 20 === 0 || placed.length === 0 ? '/products/search?q=bench' : `/orders/${placed[i % placed.length]}`;
          await getJson(connections.queryApi, path, authorization);
        },
      }),
    ]);
    const stack = new LocalStack({ log: () => {} });
    const statuses = await stack.status(stack.services.map((s) => s.name));
    const measurements: Measurement[] = [];
    for (const status of statuses) {
      if (status.pid === undefined) continue;
      const memory = await processMemoryMiB(status.pid);
      if (!memory) continue;
      measurements.push({ id: `ours.${status.name}`, label: status.name, subject: 'ours', value: memory.peak, unit: 'MiB', details: { currentMiB: memory.current, pid: status.pid } });
    }
    return {
      parameters: { commandRate, readRate, seconds: sizes.memorySeconds },
      measurements,
      rows: measurements.flatMap((m) => [row(`${m.label}: peak RSS`, 'MiB', m.value!), row(`${m.label}: RSS now`, 'MiB', m.details!.currentMiB as number)]),
      goals: [],
      charts: [
        {
          id: 'rss',
          title: 'Peak and current RSS per service',
          unit: 'MiB',
          categories: measurements.map((m) => m.label),
          series: [
            { name: 'peak (VmHWM)', subject: 'ours', values: measurements.map((m) => m.value ?? null) },
            { name: 'now (VmRSS)', subject: 'ours', values: measurements.map((m) => (m.details?.currentMiB as number) ?? null) },
          ],
        },
      ],
      notes: [
        'Peak is /proc/<pid>/status VmHWM: the most the process has held since it started, so after a full run it covers the load of every scenario before this one.',
        'Benchmark worker processes (one per projection, replaying at full speed) report their own peak in the projector-throughput scenario.',
      ],
    };
  },
};

// Scenario 1: command latency and throughput. The command mix (commandMix.ts) at fixed rates,
// open loop, through the running command API with the whole pipeline consuming what it writes;
// beside it, at the same rate and with as many connections as the API's pool, the same rows
// written with raw `pg` (rawPgCommandWrites.ts).
import type { Measurement } from '../benchResult.ts';
import { CommandClient } from '../load/commandClient.ts';
import { CommandMix } from '../load/commandMix.ts';
import { runLoadGenerator } from '../load/loadGeneratorProcess.ts';
import type { LoadShape } from '../load/loadSpec.ts';
import { cpuSnapshot, cpuUseBetween, localStackPids, machineBusyPercent, type CpuUse } from '../load/stackCpu.ts';
import { RawPgCommandWrites } from '../references/rawPgCommandWrites.ts';
import { measureCommandRoundTrips } from '../roundTrips/commandRoundTrips.ts';
import { generatorCpuPercent, goal, latencyMeasurement, loadNotes, percentileChart, row, type Scenario } from '../scenario.ts';

const GOAL_RATE = 500;
/** As many connections as the command API's own pool (command-api/main.ts). */
const REFERENCE_POOL_SIZE = 20;
const SATURATION_CLIENTS = 64;
/** Past every open-loop rate's offsets (rate × 1,000,000 + 500,000), so no command index repeats. */
const SATURATION_OFFSET = 5_000_000_000;

export const commandLatencyScenario: Scenario = {
  name: 'commands',
  title: 'Command latency and throughput',
  async run(context) {
    const { sizes, connections, progress } = context;
    const client = new CommandClient(context.config, connections.commandApi);
    const mixRunId = `${context.runId}-${this.name}`;
    const mix = new CommandMix(mixRunId);
    await mix.seed(client);
    const reference = new RawPgCommandWrites(connections.writePostgres, context.runId);
    await reference.setUp();
    const measurements: Measurement[] = [];
    const stackPids = localStackPids();
    const cpuAt = new Map<number, { use: CpuUse; commands: number }>();
    try {
      for (const rate of sizes.commandRates) {
        progress.note(`commands: ${rate}/s through the command API for ${sizes.commandSeconds} s`);
        let offset = rate * 1_000_000;
        const shape: LoadShape = { mode: 'open', rate, durationSeconds: sizes.commandSeconds, warmupSeconds: sizes.warmupSeconds, maxInFlight: 256 };
        // Each load from a generator process of its own: the bench's event loop shapes neither figure.
        const cpuBefore = cpuSnapshot(stackPids);
        const ours = await runLoadGenerator(context.config.repoRoot, { target: { kind: 'commands', runId: mixRunId, offset }, shape, connections: 256 }, (done, total) =>
          progress.update('commands', `ours ${rate}/s ${done}/${total ?? '?'}`),
        );
        const cpu = cpuUseBetween(cpuBefore, cpuSnapshot(stackPids));
        cpuAt.set(rate, { use: cpu, commands: ours.completed });
        measurements.push(latencyMeasurement(`ours.${rate}`, `command API ${rate}/s`, 'ours', ours), ...cpuMeasurements(rate, cpu, ours.completed));
        progress.note(`commands: ${rate}/s raw pg reference for ${sizes.commandSeconds} s`);
        offset += 500_000;
        const raw = await runLoadGenerator(
          context.config.repoRoot,
          { target: { kind: 'raw-pg', runId: context.runId, offset, poolSize: REFERENCE_POOL_SIZE }, shape, connections: REFERENCE_POOL_SIZE },
          (done, total) => progress.update('commands', `reference ${rate}/s ${done}/${total ?? '?'}`),
        );
        measurements.push(latencyMeasurement(`reference.raw-pg.${rate}`, `raw pg ${rate}/s`, 'reference', raw));
      }
      // Saturation: as many commands as SATURATION_CLIENTS clients in a loop get answered, the
      // command API's own ceiling (what capacity planning divides by), as queries measures reads.
      progress.note(`commands: saturation, ${SATURATION_CLIENTS} clients in a closed loop for ${sizes.commandSeconds} s`);
      const closed: LoadShape = { mode: 'closed', concurrency: SATURATION_CLIENTS, durationSeconds: sizes.commandSeconds, warmupSeconds: sizes.warmupSeconds };
      const saturation = await runLoadGenerator(context.config.repoRoot, { target: { kind: 'commands', runId: mixRunId, offset: SATURATION_OFFSET }, shape: closed, connections: SATURATION_CLIENTS }, (done, total) =>
        progress.update('commands', `ours saturation ${done}/${total ?? '?'}`),
      );
      measurements.push(latencyMeasurement('ours.saturation', `command API, ${SATURATION_CLIENTS} clients, closed loop`, 'ours', saturation));
      const rawSaturation = await runLoadGenerator(
        context.config.repoRoot,
        { target: { kind: 'raw-pg', runId: context.runId, offset: SATURATION_OFFSET + 500_000_000, poolSize: REFERENCE_POOL_SIZE }, shape: closed, connections: REFERENCE_POOL_SIZE },
        (done, total) => progress.update('commands', `reference saturation ${done}/${total ?? '?'}`),
      );
      measurements.push(latencyMeasurement('reference.raw-pg.saturation', `raw pg, ${SATURATION_CLIENTS} clients, closed loop`, 'reference', rawSaturation));
    } finally {
      await reference.tearDown();
    }
    // Counted, not timed: one command of each kind (and its replay) through a command API built in
    // this process, whose pool goes through a proxy that counts round trips on the wire.
    progress.note('commands: round trips to Postgres per command kind');
    const roundTrips = await measureCommandRoundTrips(context.config, { idempotencyKeys: true });
    const mostRoundTrips = Math.max(...roundTrips.map((m) => m.applied.roundTrips));
    const at = (subject: string, rate: number) => measurements.find((m) => m.id === `${subject}.${rate}`);
    const rows = sizes.commandRates.flatMap((rate) => {
      const ours = at('ours', rate)!;
      const raw = at('reference.raw-pg', rate)!;
      return [
        row(`p50 at ${rate} cmd/s`, 'ms', ours.latency!.p50, { label: 'raw pg', value: raw.latency!.p50 }),
        row(`p99 at ${rate} cmd/s`, 'ms', ours.latency!.p99, { label: 'raw pg', value: raw.latency!.p99 }),
        row(`max at ${rate} cmd/s`, 'ms', ours.latency!.max, { label: 'raw pg', value: raw.latency!.max }),
        row(`achieved rate at ${rate} cmd/s`, 'cmd/s', ours.achievedRate!, { label: 'raw pg', value: raw.achievedRate }),
        row(`errors at ${rate} cmd/s`, 'count', ours.errors!, { label: 'raw pg', value: raw.errors }),
        row(`load generator CPU at ${rate} cmd/s`, '% of a core', generatorCpuPercent(ours), { label: 'raw pg generator', value: generatorCpuPercent(raw) }),
      ];
    });
    // Where the machine's CPU went per command, at the lowest rate (the machine not yet saturated):
    // every component's share, and the machine's total at every rate.
    const lowest = cpuAt.get(sizes.commandRates[0]!);
    if (lowest && lowest.commands > 0) {
      const perCommand = (ms: number) => Math.round((ms / lowest.commands) * 100) / 100;
      const byUse = [...lowest.use.components].sort((a, b) => b[1] - a[1]);
      rows.push(...byUse.map(([name, ms]) => row(`CPU per command at ${sizes.commandRates[0]} cmd/s: ${name}`, 'ms', perCommand(ms))));
      rows.push(row(`CPU per command at ${sizes.commandRates[0]} cmd/s: the rest of the machine (load generator, kernel, other processes)`, 'ms', perCommand(lowest.use.rest)));
    }
    for (const [rate, { use, commands }] of cpuAt) {
      rows.push(row(`machine busy at ${rate} cmd/s`, '% of all cores', machineBusyPercent(use)));
      if (commands > 0) rows.push(row(`machine CPU per command at ${rate} cmd/s`, 'ms', Math.round((use.machine / commands) * 100) / 100));
    }
    const goalRate = sizes.commandRates.includes(GOAL_RATE) ? GOAL_RATE : sizes.commandRates.at(-1)!;
    const ours = at('ours', goalRate)!;
    const raw = at('reference.raw-pg', goalRate)!;
    const notes = [
      'Open loop: each command is due at start + i/rate and its latency counts from then, so a stall shows in the percentiles instead of slowing the sender.',
      'Both loads come from a generator process of their own, which records its own CPU use (flagged below when near a full core).',
      'Mix: 60% PlaceOrder (1-3 lines), 15% UpdateProduct, 10% AdjustInventory, 10% CancelOrder, 5% UpdateShippingAddress; all accepted (stock is ample).',
      'Reference: the same kinds of rows (order, lines, stock rows locked and updated, outbox rows with payloads of the real size) in one raw pg transaction per command, into private copies of the write tables on the same server; no HTTP, validation or Avro.',
      'The live pipeline (Debezium, four projector workers, Redis, Elasticsearch) consumes everything the command API writes while it is measured; the reference rows are not in the CDC publication.',
    ];
    rows.push(
      row(`command saturation, ${SATURATION_CLIENTS} clients, closed loop`, 'cmd/s', measurements.find((m) => m.id === 'ours.saturation')!.achievedRate!, {
        label: 'raw pg, same clients',
        value: measurements.find((m) => m.id === 'reference.raw-pg.saturation')!.achievedRate,
      }),
    );
    notes.push(`Saturation: ${SATURATION_CLIENTS} clients each send the next command of the mix when the last one answered (closed loop), through the command API with the pipeline consuming, then with raw pg.`);
    rows.push(
      ...roundTrips.map((m) => row(`round trips to Postgres: ${m.kind}`, 'count', m.applied.roundTrips)),
      row('round trips to Postgres: a replay (Idempotency-Key), most of any kind', 'count', Math.max(...roundTrips.map((m) => m.replayed!.roundTrips))),
    );
    notes.push('Round trips per command: counted on the wire by a proxy between a command API built in the bench process and Postgres (bench/roundTrips/), one command of each kind with an Idempotency-Key and then its replay; connection start-ups are not counted.');
    notes.push(
      "CPU per command: each component's CPU time (its process and every process it started: Postgres counts its backends and the WAL sender Debezium reads through) from /proc, before and after the command API's load at that rate, divided by the commands answered; the whole machine's from /proc/stat. The pipeline's share is everything that happens to a command after its commit: Debezium, Kafka, four projector workers and their stores.",
    );
    notes.push(...loadNotes(measurements));
    return {
      parameters: { rates: sizes.commandRates, secondsPerRate: sizes.commandSeconds, warmupSeconds: sizes.warmupSeconds, maxInFlight: 256, referencePoolSize: REFERENCE_POOL_SIZE },
      measurements,
      rows,
      goals: [
        goal({ figure: 'round trips to Postgres per command, most of any kind', goal: '≤ 3 for every command kind', measured: mostRoundTrips, unit: 'round trips' }, (n) => n <= 3),
        goal(
          {
            figure: `command latency p99 at ${goalRate} cmd/s`,
            seedTarget: '< 20 ms',
            goal: '< 10 ms',
            measured: ours.latency!.p99,
            unit: 'ms',
            reference: { label: 'raw pg insert of the same rows', value: raw.latency!.p99, unit: 'ms' },
            ratio: raw.latency!.p99 ? Math.round((ours.latency!.p99 / raw.latency!.p99) * 100) / 100 : undefined,
          },
          (p99) => p99 < 10 && goalRate === GOAL_RATE,
        ),
      ],
      charts: sizes.commandRates.map((rate) => percentileChart(`latency-${rate}`, `Command latency at ${rate} cmd/s`, [at('ours', rate)!, at('reference.raw-pg', rate)!])),
      notes,
    };
  },
};

/** Each component's CPU per command at one rate, and the rest of the machine's. */
function cpuMeasurements(rate: number, cpu: CpuUse, commands: number): Measurement[] {
  const perCommand = (ms: number) => (commands > 0 ? ms / commands : Number.NaN);
  return [
    ...[...cpu.components].map(([name, ms]): Measurement => ({ id: `ours.cpu.${rate}.${name}`, label: `${name} CPU per command at ${rate}/s`, subject: 'ours', value: perCommand(ms), unit: 'ms', details: { cpuMs: ms, commands } })),
    { id: `ours.cpu.${rate}.rest`, label: `rest of the machine CPU per command at ${rate}/s`, subject: 'ours', value: perCommand(cpu.rest), unit: 'ms', details: { cpuMs: cpu.rest, commands } },
    { id: `ours.cpu.${rate}.machine`, label: `machine CPU at ${rate}/s`, subject: 'ours', value: cpu.machine, unit: 'ms', details: { wallMs: cpu.wallMs, cores: cpu.cores, commands } },
  ];
}

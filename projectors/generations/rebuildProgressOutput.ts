// What an operator sees of a rebuild: a progress bar on a terminal (cli-progress), plain
// lines every few seconds when stderr is not one, or one JSON object per line with --json.
import cliProgress from 'cli-progress';
import type { RebuildProgress } from './rebuildProgress.ts';

export interface ProgressOutput {
  update(progress: RebuildProgress): void;
  stop(): void;
}

function eta(seconds: number | null): string {
  if (seconds === null) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

/** One JSON line per update on `write` (stdout), so a script can follow the rebuild. */
export function jsonProgressOutput(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): ProgressOutput {
  return { update: (progress) => write(JSON.stringify(progress)), stop: () => undefined };
}

/** A bar on stderr: done / total events, events/s, ETA, and the phase with the lag once replayed. */
export function barProgressOutput(stream: NodeJS.WriteStream = process.stderr): ProgressOutput {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{projection} g{generation} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {etaText} | {phase}',
      barsize: 30,
      hideCursor: stream.isTTY ?? false,
      // Off a terminal, print a line every few seconds instead of redrawing in place.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let last: RebuildProgress | undefined;
  const payload = (p: RebuildProgress) => ({
    projection: p.projection,
    generation: p.generation,
    rate: Math.round(p.eventsPerSecond),
    etaText: eta(p.etaSeconds),
    phase: p.lag === null ? p.phase : `${p.phase}, lag ${p.lag}`,
  });
  return {
    update(progress) {
      last = progress;
      if (!started) {
        bar.start(Math.max(progress.total, 1), progress.done, payload(progress));
        started = true;
      }
      bar.setTotal(Math.max(progress.total, 1));
      bar.update(progress.done, payload(progress));
    },
    stop() {
      if (!started) return;
      if (last) bar.update(last.done, payload(last));
      bar.stop();
    },
  };
}

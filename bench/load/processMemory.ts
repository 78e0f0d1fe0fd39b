// Resident memory of a process from /proc (Linux): VmHWM is the peak since the process started,
// which is what "peak RSS under load" means without sampling fast enough to catch it.
import fs from 'node:fs';

function statusFieldMiB(status: string, field: 'VmHWM' | 'VmRSS'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
}

/** Peak and current RSS in MiB; undefined when the process is gone (or /proc says nothing). */
export async function processMemoryMiB(pid: number): Promise<{ peak: number; current: number } | undefined> {
  let status: string;
  try {
    status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const peak = statusFieldMiB(status, 'VmHWM');
  const current = statusFieldMiB(status, 'VmRSS');
  return peak === undefined || current === undefined ? undefined : { peak, current };
}

// Resident memory of a process from /proc (Linux): VmHWM is the peak since the process started,
// which is what "peak RSS under load" means without sampling fast enough to catch it.

function statusField(pid: number, field: 'VmHWM' | 'VmRSS', read: (path: string) => string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(read(`/proc/${pid}/status`));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function processMemoryMiB(pid: number): Promise<{ peak: number; current: number } | undefined> {
  const { readFileSync } = await import('node:fs');
  const read = (path: string) => readFileSync(path, 'utf8');
  const peak = statusField(pid, 'VmHWM', read);
  const current = statusField(pid, 'VmRSS', read);
  return peak === undefined || current === undefined ? undefined : { peak: Math.round(peak * 10) / 10, current: Math.round(current * 10) / 10 };
}

// One warning Node 24 prints that says nothing to an operator: kafkajs 2.2.4's request queue
// schedules its pending-request check with a delay computed from a zero timestamp, so the delay
// is minus the current time and Node clamps it to 1 ms (TimeoutNegativeWarning), as older Node
// did silently. Upstream: kafkajs issue 1751, unreleased. Every other warning prints as before.

/** Whether a process warning is kafkajs's negative request-queue delay. */
export function isKafkajsNegativeDelay(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? '');
}

/** Puts a filter in front of the process's warning printers (Node's own included). */
export function quietKnownWarnings(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (isKafkajsNegativeDelay(warning)) return;
    for (const print of printers) print(warning);
  });
}

// Runs the given close steps once on SIGTERM or SIGINT, in order, then exits. A second
// signal while closing exits at once (an operator who presses Ctrl-C twice means it).
export function onShutdown(log: (message: string) => void, ...steps: (() => Promise<unknown>)[]): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal} received: shutting down`);
    let failed = false;
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        failed = true;
        log(`shutdown step failed: ${(error as Error).message}`);
      }
    }
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

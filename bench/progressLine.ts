// Progress while a run goes on, on stderr: one status line rewritten in place on a terminal,
// a line every few seconds otherwise (CI logs), and notes that always get their own line.

export class ProgressLine {
  private lastPrinted = 0;
  private lastLength = 0;
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = performance.now();

  constructor(private readonly quiet = false) {}

  private stamp(): string {
    return `[bench ${((performance.now() - this.started) / 1000).toFixed(0).padStart(4)} s]`;
  }

  /** A transient status: what is running and how far it is. */
  update(scenario: string, text: string): void {
    if (this.quiet) return;
    const now = performance.now();
    if (this.tty) {
      const line = `${this.stamp()} ${scenario}: ${text}`;
      process.stderr.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else if (now - this.lastPrinted >= 5000) {
      process.stderr.write(`${this.stamp()} ${scenario}: ${text}\n`);
      this.lastPrinted = now;
    }
  }

  /** A line that stays: a phase started or ended, a figure, a warning. */
  note(text: string): void {
    if (this.quiet) return;
    this.printLine(text);
  }

  /** A scenario's failure with its stack: printed even when quiet, which silences progress, not errors. */
  failure(text: string): void {
    this.printLine(text);
  }

  private printLine(text: string): void {
    if (this.tty && this.lastLength) process.stderr.write(`\r${' '.repeat(this.lastLength)}\r`);
    this.lastLength = 0;
    process.stderr.write(`${this.stamp()} ${text}\n`);
  }
}

import type { Config } from '../../lib/config.ts';
import type { StackLayout } from './stackLayout.ts';
import type { StackVersions } from './stackVersions.ts';

export interface ComponentContext {
  readonly config: Config;
  readonly layout: StackLayout;
  readonly versions: StackVersions;
}

/**
 * One process of the local stack. The stack manager calls these in order:
 * prepare → start → probe (until healthy or the deadline) → afterStart.
 * Every step is idempotent, so `stack up` may run any number of times.
 */
export interface StackComponent {
  readonly name: string;
  readonly version: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pidFile: string;
  /** Creates directories and configuration, formats storage on first use. */
  prepare(): Promise<void>;
  /** Launches the process and returns the pid to signal on stop. */
  start(): Promise<number>;
  /** A real health check; resolves with a short detail, rejects with the reason. */
  probe(): Promise<string>;
  /** One-time bootstrap once healthy (roles, databases); safe to repeat. */
  afterStart?(): Promise<void>;
  stop(pid: number): Promise<void>;
}

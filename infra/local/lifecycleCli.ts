import type { Command } from 'commander';

export function registerLifecycleCommands(_program: Command): void {}

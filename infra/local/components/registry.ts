import type { ComponentContext, StackComponent } from '../stackComponent.ts';

export function registryComponent(context: ComponentContext): StackComponent {
  const { layout } = context;
  return {
    name: 'registry',
    version: 'TODO',
    port: 0,
    dataDir: layout.data('registry'),
    logFile: layout.logFile('registry'),
    pidFile: layout.pidFile('registry'),
    async prepare() {},
    async start() { throw new Error('not implemented yet'); },
    async probe() { throw new Error('not implemented yet'); },
    async stop() {},
  };
}

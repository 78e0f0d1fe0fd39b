import type { ComponentContext, StackComponent } from '../stackComponent.ts';

export function elasticsearchComponent(context: ComponentContext): StackComponent {
  const { layout } = context;
  return {
    name: 'elasticsearch',
    version: 'TODO',
    port: 0,
    dataDir: layout.data('elasticsearch'),
    logFile: layout.logFile('elasticsearch'),
    pidFile: layout.pidFile('elasticsearch'),
    async prepare() {},
    async start() { throw new Error('not implemented yet'); },
    async probe() { throw new Error('not implemented yet'); },
    async stop() {},
  };
}

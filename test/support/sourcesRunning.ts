// After the write server was down, every source's connector lost its database (they all live on
// it): each must be streaming again before the pipeline can be compared. A task that gave up is
// restarted, as an operator would (`outflow connectors restart <source> --only-failed`).
import { ConnectClient } from '../../connectors/connectClient.ts';
import { declaredSources } from '../../connectors/sourceConnector.ts';
import type { Config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';

export async function everySourceRunning(config: Config, timeoutMs = 120_000): Promise<void> {
  const connect = new ConnectClient({ url: config.connect.url });
  for (const source of declaredSources(config)) {
    const name = source.connector.name;
    await pollUntil(`the ${source.name} connector running again`, async () => {
      const status = await connect.status(name);
      if (status?.tasks.some((task) => task.state === 'FAILED')) await connect.restart(name, { onlyFailed: true });
      return status?.connector.state === 'RUNNING' && status.tasks.length > 0 && status.tasks.every((task) => task.state === 'RUNNING') ? true : undefined;
    }, { timeoutMs, intervalMs: 1000 });
  }
}

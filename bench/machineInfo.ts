// The machine and the versions a run measured, kept with every result: figures from a shared
// 2-core machine mean little without the load it carried and what exactly ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../lib/config.ts';
import { readStackVersions } from '../infra/local/stackVersions.ts';
import type { MachineInfo } from './benchResult.ts';
import type { BenchConnections } from './benchConnections.ts';

function installedVersions(repoRoot: string): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort();
  const versions: Record<string, string> = {};
  for (const name of names) {
    try {
      versions[name] = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}

async function componentVersions(config: Config, connections: BenchConnections): Promise<Record<string, string>> {
  const stack = readStackVersions(config.repoRoot);
  const versions: Record<string, string> = { kafka: stack.kafka, debezium: stack.debezium, apicurio: stack.apicurio, elasticsearch: stack.elasticsearch };
  const ask = async (name: string, read: () => Promise<string>) => {
    try {
      versions[name] = await read();
    } catch (error) {
      versions[name] = `unknown (${error instanceof Error ? error.message : String(error)})`;
    }
  };
  await ask('postgres', async () => (await connections.writePostgres.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version);
  await ask('redis', async () => /redis_version:(\S+)/.exec(await connections.redis.info('server'))?.[1] ?? 'unknown');
  return versions;
}

export async function readMachineInfo(config: Config, connections: BenchConnections): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    components: await componentVersions(config, connections),
    packages: installedVersions(config.repoRoot),
  };
}

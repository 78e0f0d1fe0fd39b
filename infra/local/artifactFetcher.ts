// Fetches the JVM components through Maven (infra/local/pom.xml) into the stack's
// dist directory. A marker holding the pom's hash makes a second start skip Maven
// entirely; the local Maven repository makes even a wiped stack re-fetch offline.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StackComponentError } from '../../lib/errors.ts';
import { runCommand } from './processControl.ts';
import { stackPomPath } from './stackVersions.ts';

export async function fetchArtifacts(repoRoot: string, distDir: string, log: (line: string) => void): Promise<void> {
  const pom = stackPomPath(repoRoot);
  const hash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  const marker = path.join(distDir, '.fetched');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === hash) return;

  log('fetching Kafka, Kafka Connect, Debezium, Apicurio Registry and Elasticsearch through Maven (cached in the local Maven repository after the first run)');
  const started = Date.now();
  const result = await runCommand('mvn', ['-q', '-B', '-f', pom, `-Doutflow.dist=${distDir}`, 'package']);
  if (result.code !== 0) {
    throw new StackComponentError('maven', 'fetching the stack artifacts failed', { logTail: `${result.stdout}\n${result.stderr}`.slice(-4000) });
  }
  fs.mkdirSync(distDir, { recursive: true });
  fs.writeFileSync(marker, `${hash}\n`);
  log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

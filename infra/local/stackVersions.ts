// The JVM components' versions are pinned in one place, infra/local/pom.xml;
// this reads them back so the stack table and the docs agree with what runs.
import fs from 'node:fs';
import path from 'node:path';

export interface StackVersions {
  readonly kafka: string;
  readonly debezium: string;
  /** Debezium's JDBC sink on the same plugin path: the Postgres benchmark's reference. */
  readonly debeziumJdbc: string;
  readonly apicurio: string;
  readonly elasticsearch: string;
}

export function stackPomPath(repoRoot: string): string {
  return path.join(repoRoot, 'infra', 'local', 'pom.xml');
}

export function readStackVersions(repoRoot: string): StackVersions {
  const pom = fs.readFileSync(stackPomPath(repoRoot), 'utf8');
  const pick = (name: string) => {
    const tag = `version\\.${name.replace(/\./g, '\\.')}`;
    const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(pom);
    if (!match?.[1]) throw new Error(`infra/local/pom.xml has no <version.${name}> property`);
    return match[1].trim();
  };
  return Object.freeze({
    kafka: pick('kafka'),
    debezium: pick('debezium'),
    debeziumJdbc: pick('debezium.jdbc'),
    apicurio: pick('apicurio'),
    elasticsearch: pick('elasticsearch'),
  });
}

// A projection's exact code (handlers, store adapter) under a private name that reads the
// preloaded history's topics: what a benchmark runs is what production runs, while its keys,
// indices, tables, groups, pointers and registry rows stay apart from the live read models.
import type { ProjectionDefinition } from '../../projectors/projection.ts';
import { allProjections } from '../../read-models/registry.ts';
import { topicsOf } from '../../projectors/projection.ts';
import { renamedElasticsearchProjection, type ElasticsearchProjectionDefinition } from '../../projectors/stores/elasticsearchStore.ts';
import { renamedPostgresProjection, type PostgresProjectionDefinition } from '../../projectors/stores/postgresStore.ts';
import { renamedRedisProjection, type RedisProjectionDefinition } from '../../projectors/stores/redisStore.ts';

export type StoreKind = 'redis' | 'elasticsearch' | 'postgres';

export function storeKindOf(definition: ProjectionDefinition): StoreKind {
  if ('opsFor' in definition) return 'redis';
  if ('updatesFor' in definition) return 'elasticsearch';
  if ('apply' in definition && 'tables' in definition) return 'postgres';
  throw new Error(`projection ${definition.name} has no known store adapter`);
}

export function benchProjectionName(projection: string, runId: string, label = ''): string {
  return `b${runId}${label}-${projection}`;
}

/** `projection` (a live read model's name) renamed and pointed at the history's topics. */
export function benchProjection(projection: string, runId: string, topicMap: Readonly<Record<string, string>>, label = ''): ProjectionDefinition {
  const original = allProjections.find((p) => p.name === projection);
  if (!original) throw new Error(`unknown projection ${projection}; known: ${allProjections.map((p) => p.name).join(', ')}`);
  const name = benchProjectionName(projection, runId, label);
  const topics = topicsOf(original).map((topic) => {
    const copy = topicMap[topic];
    if (!copy) throw new Error(`the history has no copy of ${topic}`);
    return copy;
  });
  switch (storeKindOf(original)) {
    case 'redis':
      return renamedRedisProjection(original as RedisProjectionDefinition, name, topics);
    case 'elasticsearch':
      return renamedElasticsearchProjection(original as ElasticsearchProjectionDefinition, name, topics);
    case 'postgres':
      return renamedPostgresProjection(original as PostgresProjectionDefinition, name, topics);
  }
}

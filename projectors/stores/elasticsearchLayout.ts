// The Elasticsearch layout every Elasticsearch read model shares. Each generation has its
// own index; the alias is the pointer readers follow, and a rebuild's switch moves it in one
// `_aliases` call. Checkpoints of every projection live in one small index.
//
//   outflow-<projection>-g<n>                          the generation's documents
//   outflow-<projection>                               alias → the live generation's index
//   outflow-checkpoints / <projection>:g<n>:<topic>:<partition>   { offset, ... }
import { errors, type Client as ElasticsearchClient } from '@elastic/elasticsearch';

export const CHECKPOINT_INDEX = 'outflow-checkpoints';

export function elasticsearchIndexOf(projection: string, generation: number): string {
  return `outflow-${projection}-g${generation}`;
}

export function elasticsearchAliasOf(projection: string): string {
  return `outflow-${projection}`;
}

export function elasticsearchCheckpointId(projection: string, generation: number, topic: string, partition: number): string {
  return `${projection}:g${generation}:${topic}:${partition}`;
}

/** The generation's own index when one is given, else the alias (the live generation). */
export function readTargetOf(projection: string, generation?: number): string {
  return generation === undefined ? elasticsearchAliasOf(projection) : elasticsearchIndexOf(projection, generation);
}

/** The generation the alias points at, or undefined when the projection has no pointer yet. */
export async function liveElasticsearchGeneration(es: ElasticsearchClient, projection: string): Promise<number | undefined> {
  const alias = elasticsearchAliasOf(projection);
  const found = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const prefix = `outflow-${projection}-g`;
  for (const index of Object.keys(found)) {
    const generation = Number(index.startsWith(prefix) ? index.slice(prefix.length) : NaN);
    if (Number.isSafeInteger(generation) && generation > 0) return generation;
  }
  return undefined;
}

/**
 * Makes every write so far visible to searches of the generation (default: the live one).
 * The store leaves refreshing to the index's refresh_interval; tests and `outflow verify`
 * call this instead of waiting for it.
 */
export async function refreshReadModel(es: ElasticsearchClient, projection: string, generation?: number): Promise<void> {
  await es.indices.refresh({ index: readTargetOf(projection, generation) }, { ignore: [404] });
}

/** An Elasticsearch "no such index" answer: a read model nobody has initialised yet. */
export function isIndexNotFound(error: unknown): boolean {
  if (!(error instanceof errors.ResponseError) || error.statusCode !== 404) return false;
  const body: unknown = error.body;
  return typeof body === 'object' && body !== null && JSON.stringify(body).includes('index_not_found_exception');
}

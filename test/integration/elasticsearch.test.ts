// Elasticsearch from the local stack: a real index with an explicit mapping, two
// documents, and a full-text query that must find exactly the matching one.
import crypto from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { LocalStack } from '../../infra/local/localStack.ts';

await new LocalStack({ log: () => {} }).up(['elasticsearch']);

const client = new Client({ node: config().elasticsearch.url });
// A random suffix so parallel or leftover runs never share an index.
const index = `outflow-it-products-${crypto.randomBytes(4).toString('hex')}`;

t.teardown(async () => {
  await client.indices.delete({ index }, { ignore: [404] });
  await client.close();
});

t.test('the server is Elasticsearch 8', async (t) => {
  // Nodes info, not GET /: the stack's stripped distribution has no rest-root module.
  const info = await client.nodes.info({ node_id: '_local', metric: '_none' });
  const versions = Object.values(info.nodes).map((node) => node.version);
  t.equal(versions.length, 1);
  t.equal(versions[0]?.split('.')[0], '8', `server version ${versions[0]}`);
});

t.test('a match query finds the document by an analysed word, and only that one', async (t) => {
  await client.indices.create({
    index,
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: {
      dynamic: 'strict',
      properties: {
        name: { type: 'text', analyzer: 'standard' },
        description: { type: 'text', analyzer: 'standard' },
        category: { type: 'keyword' },
      },
    },
  });
  const mapping = await client.indices.getMapping({ index });
  t.equal(mapping[index]?.mappings.properties?.category?.type, 'keyword');

  await client.index({
    index,
    id: 'trail-shoe',
    document: { name: 'Trail Running Shoe', description: 'Lightweight shoe with a grippy sole for muddy mountain paths', category: 'footwear' },
    refresh: true,
  });
  await client.index({
    index,
    id: 'espresso-machine',
    document: { name: 'Espresso Machine', description: 'Brews rich coffee and steams milk', category: 'kitchen' },
    refresh: true,
  });

  // Upper case and a different word order: only the standard analyzer makes these match.
  const found = await client.search({ index, query: { match: { description: 'MOUNTAIN Muddy' } }, track_total_hits: true });
  const ids = found.hits.hits.map((hit) => hit._id);
  t.same(ids, ['trail-shoe']);
  t.notOk(ids.includes('espresso-machine'), 'the other document does not match');
  t.equal(typeof found.hits.total === 'object' ? found.hits.total.value : found.hits.total, 1);

  // Keyword fields are exact: the category filter selects the other document.
  const byCategory = await client.search({ index, query: { term: { category: 'kitchen' } } });
  t.same(byCategory.hits.hits.map((hit) => hit._id), ['espresso-machine']);
});

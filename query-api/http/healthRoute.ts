// The query API's health: ready when each read store answers a real round trip.
import type { FastifyInstance } from 'fastify';
import { healthRoutes } from '../../lib/healthRoutes.ts';
import type { ReadConnections } from './readConnections.ts';

export function healthRoute(app: FastifyInstance, { redis, elasticsearch, readPostgres }: ReadConnections, options: { probeTimeoutMs: number }): void {
  healthRoutes(app, {
    redis: () => redis.ping(),
    elasticsearch: () => elasticsearch.cluster.health({ timeout: '1s' }),
    readPostgres: () => readPostgres.query('SELECT 1'),
  }, options);
}

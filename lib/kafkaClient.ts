// Every Kafka client of the project is built here, so they all name themselves the same way
// (the pipeline's client id and what the client is for, which is what the broker's logs and
// quotas see) and route kafkajs's own logging through pino or silence it.
import { Kafka, logLevel, type RetryOptions } from 'kafkajs';
import type pino from 'pino';
import type { Config } from './config.ts';
import { kafkaLogCreator } from './kafkaLogging.ts';
import { correctKafkaRequestQueueTimer } from './kafkaRequestQueueTimer.ts';

export interface KafkaClientOptions {
  /** Where kafkajs's warnings and errors go; without a logger kafkajs stays silent. */
  log?: pino.Logger;
  /** The whole client id, for a client that is not one of the pipeline's own (a probe, a bench, a test). */
  clientId?: string;
  /** How long to wait for a broker connection (kafkajs's default otherwise, 1 s). */
  connectionTimeoutMs?: number;
  /** kafkajs's retry of a failed request (its default otherwise: 5 retries over about half a minute). */
  retry?: RetryOptions;
}

/** A kafkajs client named `<kafka.clientId>-<purpose>`, on the configured brokers. */
export function kafkaClient(config: Pick<Config, 'kafka'>, purpose: string, options: KafkaClientOptions = {}): Kafka {
  const { log, connectionTimeoutMs, retry } = options;
  correctKafkaRequestQueueTimer();
  return new Kafka({
    clientId: options.clientId ?? `${config.kafka.clientId}-${purpose}`,
    brokers: [...config.kafka.brokers],
    ...(log ? { logLevel: logLevel.WARN, logCreator: kafkaLogCreator(log) } : { logLevel: logLevel.NOTHING }),
    ...(connectionTimeoutMs === undefined ? {} : { connectionTimeout: connectionTimeoutMs }),
    ...(retry === undefined ? {} : { retry }),
  });
}

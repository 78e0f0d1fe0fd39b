// The dead-letter topic of a projection: one partition, so the DLQ holds every parked
// message in the order it was parked (which keeps each key's own order), kept forever
// like the event topics. Messages keep their key, value bytes and headers; dlq* headers say
// where they came from and why.
import { Partitioners, type Admin, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { dlqTopicOf } from '../projection.ts';
import type { RawMessage } from './messageDecoding.ts';

export const DLQ_PARTITION = 0;

export interface DlqParking {
  projection: string;
  generation: number;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  message: RawMessage;
}

/** Creates dlq.<projection> if missing (the broker does not create topics on its own). */
export async function ensureDlqTopic(admin: Admin, projection: string): Promise<void> {
  const topic = dlqTopicOf(projection);
  if ((await admin.listTopics()).includes(topic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }] }],
    });
  } catch (error) {
    // Another worker created it between the list and the create.
    if (!(await admin.listTopics()).includes(topic)) throw error;
  }
}

/** The message's headers that have a value: kafkajs cannot produce one without (the router's for a null column). */
function headersWithValues(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value != null) kept[name] = value;
  return kept;
}

export function dlqHeaders(parking: DlqParking, parkedAt: Date): IHeaders {
  return {
    ...headersWithValues(parking.message.headers),
    dlqReason: parking.reason,
    dlqOriginalTopic: parking.topic,
    dlqOriginalPartition: String(parking.partition),
    dlqOriginalOffset: parking.offset,
    dlqProjection: parking.projection,
    dlqGeneration: String(parking.generation),
    dlqParkedAt: parkedAt.toISOString(),
  };
}

export class DeadLetterWriter {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    // Idempotent with acks=all: a parked message is acknowledged by every in-sync replica
    // before the checkpoint moves past it, and a retried send is not duplicated.
    // One partition: the partitioner never chooses, so the default one is named only to silence kafkajs' warning about it.
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Sends one message to the projection's DLQ and returns its DLQ offset once acknowledged. */
  async park(parking: DlqParking): Promise<string> {
    const [metadata] = await this.producer.send({
      topic: dlqTopicOf(parking.projection),
      acks: -1,
      messages: [{ partition: DLQ_PARTITION, key: parking.message.key, value: parking.message.value, headers: dlqHeaders(parking, new Date()) }],
    });
    if (!metadata?.baseOffset) throw new Error(`the broker acknowledged no offset for the DLQ message of ${parking.topic}[${parking.partition}]@${parking.offset}`);
    return metadata.baseOffset;
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

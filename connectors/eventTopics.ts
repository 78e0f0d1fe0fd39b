// The event topics are created here, before the connector runs, with the partition
// count and infinite retention the design needs. Were they left to whoever touches them
// first (Connect's topic creation, or a consumer's metadata request), a projector that
// starts early could create one with the broker's defaults, and partitions cannot be
// changed later without moving keys.
import type { Config } from '../lib/config.ts';
import { AGGREGATE_TYPES, topicOf } from '../schemas/eventCatalog.ts';
import { kafkaClient } from '../lib/kafkaClient.ts';

export interface EventTopicState {
  topic: string;
  partitions: number;
  created: boolean;
}

/** Creates those of `topics` (by default every aggregate type's topic) that do not exist yet. */
export async function ensureEventTopics(config: Config, log: (line: string) => void = () => {}, topics: readonly string[] = AGGREGATE_TYPES.map(topicOf)): Promise<EventTopicState[]> {
  const kafka = kafkaClient(config, 'topics');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = [...topics];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: config.events.partitions,
          replicationFactor: 1,
          // The topics are the replayable event log: nothing is ever deleted by age or size.
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'retention.bytes', value: '-1' },
            { name: 'cleanup.policy', value: 'delete' },
          ],
        })),
      });
      log(`created event topics ${missing.join(', ')} with ${config.events.partitions} partitions each`);
    }
    const metadata = await admin.fetchTopicMetadata({ topics: wanted });
    return metadata.topics.map((t) => ({ topic: t.name, partitions: t.partitions.length, created: missing.includes(t.name) }));
  } finally {
    await admin.disconnect();
  }
}

import t from 'tap';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

await ensureStack('kafka');

t.test('produce and consume a message on a fresh topic', async (t) => {
  const kafka = kafkaClient(config(), 'test', { clientId: 'outflow-test' });
  const topic = uniqueName('test.roundtrip');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  t.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }));

  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({
    topic,
    messages: [{ key: 'order-1', value: Buffer.from([0, 1, 2, 255]), headers: { eventType: 'OrderPlaced' } }],
  });

  const consumer = kafka.consumer({ groupId: uniqueName('test-group') });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: { key: string; value: Buffer; eventType: string }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({ key: String(message.key), value: message.value as Buffer, eventType: String(message.headers?.eventType) });
    },
  });
  await pollUntil('the message to arrive', async () => (received.length > 0 ? true : undefined), { timeoutMs: 30_000 });
  t.equal(received.length, 1);
  t.equal(received[0]?.key, 'order-1');
  t.same([...(received[0]?.value ?? [])], [0, 1, 2, 255], 'bytes pass through unchanged');
  t.equal(received[0]?.eventType, 'OrderPlaced');
  await admin.deleteTopics({ topics: [topic] });
});

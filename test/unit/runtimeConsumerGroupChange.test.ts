// A rebalance seen through a heartbeat or a commit is the group's business, not the store's.
import kafkajs from 'kafkajs';
import t from 'tap';
import { CheckpointMismatch } from '../../lib/errors.ts';
import { isConsumerGroupChange, isRetriable } from '../../projectors/runtime/retriableFailure.ts';

// kafkajs is CommonJS and spreads its error classes into its exports, which Node cannot name statically.
const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

// As kafkajs builds them from the coordinator's error codes.
const protocolError = (type: string, code: number) => new KafkaJSProtocolError({ type, code, retriable: false, message: `${type} from the coordinator` } as unknown as string);

t.test('the coordinator telling a member to rejoin is a group change', async (t) => {
  for (const [type, code] of [['REBALANCE_IN_PROGRESS', 27], ['ILLEGAL_GENERATION', 22], ['UNKNOWN_MEMBER_ID', 25], ['NOT_COORDINATOR_FOR_GROUP', 16]] as const) {
    const error = protocolError(type, code);
    t.equal(error.type, type, 'built as kafkajs builds it');
    t.ok(isConsumerGroupChange(error), type);
    t.ok(isConsumerGroupChange(new Error('heartbeat failed', { cause: error })), `${type}, wrapped`);
  }
});

t.test('other failures are not', async (t) => {
  t.notOk(isConsumerGroupChange(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3)));
  t.notOk(isConsumerGroupChange(new KafkaJSConnectionError('Connection error: ECONNREFUSED')));
  t.notOk(isConsumerGroupChange(new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 1000 })));
  t.notOk(isConsumerGroupChange(new CheckpointMismatch('p', { topic: 't', partition: 0 }, '1', '0')));
  t.notOk(isConsumerGroupChange(Object.assign(new Error('a store error'), { type: 'REBALANCE_IN_PROGRESS' })), 'only kafkajs says so');
  t.notOk(isConsumerGroupChange('REBALANCE_IN_PROGRESS'));
});

t.test('a group change stays retriable for the consumer (kafkajs rejoins and fetches again)', async (t) => {
  t.ok(isRetriable(protocolError('REBALANCE_IN_PROGRESS', 27)));
});

// Every Kafka client comes from lib/kafkaClient.ts: kafkajs's own log lines go to the process's
// pino logger when it is given one, and nowhere otherwise.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { kafkaClient } from '../../lib/kafkaClient.ts';

function capturedLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

t.test('with a logger, kafkajs warnings and errors reach it under the kafkajs component; below warn they do not', async (t) => {
  const { log, lines } = capturedLogger();
  const kafka = kafkaClient(loadConfig({}), 'test', { log });
  kafka.logger().warn('broker slow', { broker: 'b1' });
  kafka.logger().error('broker gone');
  kafka.logger().info('connected');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(lines.map(({ msg, level, component }) => ({ msg, level, component })), [
    { msg: 'broker slow', level: 40, component: 'kafkajs' },
    { msg: 'broker gone', level: 50, component: 'kafkajs' },
  ]);
  t.equal(lines[0]?.broker, 'b1', 'the fields kafkajs logs are kept');
});

t.test('without a logger, kafkajs says nothing', async (t) => {
  const writes: unknown[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof process.stdout.write;
  try {
    kafkaClient(loadConfig({}), 'test').logger().error('broker gone');
  } finally {
    process.stdout.write = write;
  }
  t.same(writes, []);
});

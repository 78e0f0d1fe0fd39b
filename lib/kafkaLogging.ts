// kafkajs log lines into a process's pino logger, under a `kafkajs` component, so one
// log stream carries both (kafkajs would otherwise print its own JSON to stdout).
import { logLevel, type logCreator } from 'kafkajs';
import type pino from 'pino';

export function kafkaLogCreator(log: pino.Logger): logCreator {
  const child = log.child({ component: 'kafkajs' });
  return () => ({ namespace, level, log: entry }) => {
    const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
    const context = { namespace, ...fields };
    // kafkajs reports every heartbeat answered with "rebalancing" as an error; it is the normal
    // way a group learns a member joined or left (rebuild consumers, a worker following a switch).
    if (level === logLevel.ERROR && /rebalancing/i.test(String(fields.error ?? ''))) child.info(context, message);
    else if (level === logLevel.ERROR) child.error(context, message);
    else if (level === logLevel.WARN) child.warn(context, message);
    else if (level === logLevel.INFO) child.info(context, message);
    else child.debug(context, message);
  };
}

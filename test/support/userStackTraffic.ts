// Plays a user of the stack `npm start` runs: sends a seeded random mix of commands to its
// command API over HTTP with the local admin key. `.ci/run` uses it to put data in the user's
// stack before `npm test` and to show the stack still works after.
//
//   node --import tsx test/support/userStackTraffic.ts [COUNT] [SEED]
import { config } from '../../lib/config.ts';
import { configuredKeysFor } from '../../lib/auth/localKeys.ts';
import { RandomCommands, type SendCommand } from './randomCommands.ts';

const count = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error('usage: userStackTraffic.ts [COUNT (a positive integer)] [SEED (an integer)]');
  process.exit(2);
}

const { commandApi, auth } = config();
const admin = configuredKeysFor(commandApi.host, auth.apiKeys).find((k) => k.role === 'admin');
if (!admin) {
  console.error('no admin key in OUTFLOW_API_KEYS: the traffic is sent as an admin');
  process.exit(2);
}
const base = `http://${commandApi.host}:${commandApi.port}`;

const send: SendCommand = async (method, url, body, headers = {}) => {
  const response = await fetch(base + url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.key}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};

const started = Date.now();
const runId = `user-${seed.toString(36)}`;
const tally = await new RandomCommands(send, { runId, seed, customers: 50, products: 40 }).run(count, 8);
const seconds = (Date.now() - started) / 1000;
const accepted = Object.values(tally.accepted).reduce((a, b) => a + b, 0);
console.error(
  `sent ${tally.sent} commands to ${base} in ${seconds.toFixed(1)} s (seed ${seed}): ${accepted} accepted, refused by status ${JSON.stringify(tally.refused)}`,
);

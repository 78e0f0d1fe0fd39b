// Loaded before every test file (tap's node-arg): whatever a test opens, spawns or starts, it
// does on the test suite's own stack instance, also when a file is run on its own with `npx tap`.
import { useTestStack } from '../../infra/local/testStackInstance.ts';

useTestStack();

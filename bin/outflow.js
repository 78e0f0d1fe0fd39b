#!/usr/bin/env node
// Entry shim: lets the TypeScript CLI run without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./outflow.ts');

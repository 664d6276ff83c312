// The CLI straight from its sources (tests and `npm run dev:cli`), without `warren start`; the commands people run
// are scripts/warren.mjs (the repository) and packages/broker/bin/warren.mjs (the package).
import { readFileSync } from 'node:fs';
import { runCli } from './program.js';

// Three levels up is the repository root both from libs/cli/src and from dist/libs/cli.
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
await runCli({ version });

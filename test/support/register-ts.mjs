// `node --import ./test/support/register-ts.mjs file.ts` runs TypeScript sources in a child process.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);

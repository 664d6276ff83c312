// Module customization hooks that let child processes in tests run the TypeScript sources directly
// (no build step): `.ts` files are transpiled with swc, `@app/<lib>` aliases and `./x.js` specifiers
// resolve to the `.ts` sources, as in tsconfig "paths".
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import swc from '@swc/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function resolve(specifier, context, nextResolve) {
  const alias = /^@app\/([^/]+)(?:\/(.*?))?(?:\.js)?$/.exec(specifier);
  if (alias) {
    const base = join(root, 'libs', alias[1], 'src');
    // A sub-path is a file, or a folder with its own barrel (the storage backends' entry points).
    const folderBarrel = alias[2] ? join(base, alias[2], 'index.ts') : undefined;
    const file = !alias[2] ? join(base, 'index.ts') : existsSync(folderBarrel) ? folderBarrel : join(base, `${alias[2]}.ts`);
    return { url: pathToFileURL(file).href, shortCircuit: true };
  }
  if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const { source } = await nextLoad(url, { ...context, format: 'module' });
  const output = await swc.transform(source.toString(), {
    filename: fileURLToPath(url),
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: output.code, shortCircuit: true };
}

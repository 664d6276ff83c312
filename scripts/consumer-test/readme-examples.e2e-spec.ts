// Consumer test (run by scripts/consumer-test.mjs in a temp app that installed the packed tarballs): the first
// example of each installed package's README runs with plain node and prints what its README says.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestBroker, type TestBroker } from '@warren-mq/testing';

const run = promisify(execFile);

/** The README's `// example.mjs` block, written next to node_modules so that its imports resolve. */
function exampleOf(name: string): string {
  const readme = readFileSync(join('node_modules', '@warren-mq', name, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ example\.mjs[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error(`@warren-mq/${name}: README has no example.mjs`);
  const path = join(process.cwd(), `example-${name}.mjs`);
  writeFileSync(path, block[1]);
  return path;
}

describe("each package README's first example", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  it.each([
    ['transport', 'total 42'],
    ['testing', '{"id":1}'],
    ['broker', 'hello warren'],
  ])('@warren-mq/%s prints %s', async (name, expected) => {
    const path = exampleOf(name);
    try {
      const { stdout } = await run(process.execPath, [path], { env: { ...process.env, AMQP_URL: broker.url }, timeout: 30_000 });
      expect(stdout).toContain(expected);
    } finally {
      rmSync(path, { force: true });
    }
  });
});

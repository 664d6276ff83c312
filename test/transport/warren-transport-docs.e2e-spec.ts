import { readFileSync } from 'node:fs';
import { runQuickStart } from '../../libs/transport/examples/quick-start.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * docs/transport.md's quick start is libs/transport/examples/quick-start.ts, embedded verbatim: this spec checks
 * that the guide still shows that file, and runs it against a real broker.
 */
describe('docs/transport.md quick start', () => {
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startBroker();
  });

  afterEach(async () => {
    await broker.close();
  });

  it('embeds libs/transport/examples/quick-start.ts verbatim', () => {
    const guide = readFileSync(new URL('../../docs/transport.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../libs/transport/examples/quick-start.ts', import.meta.url), 'utf8');
    expect(guide).toContain('```ts\n' + example + '```');
  });

  it('runs: the request is answered and the event reaches billing', async () => {
    const { total, ledger, close } = await runQuickStart(broker.url);
    try {
      expect(total).toBe(42);
      await waitFor(() => ledger.lines.length === 1, { what: 'the order event in billing' });
      expect(ledger.lines).toEqual(['order.created o-1 42']);
    } finally {
      await close();
    }
  });
});

import { readFileSync } from 'node:fs';

/** docs/testing.md embeds guide-example.e2e-spec.ts verbatim, so the guide's example is always one that passes. */
describe('docs/testing.md', () => {
  it('embeds test/testing/guide-example.e2e-spec.ts unchanged', () => {
    const guide = readFileSync(new URL('../../docs/testing.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./guide-example.e2e-spec.ts', import.meta.url), 'utf8');

    expect(guide).toContain('```ts\n' + example + '```\n');
  });
});

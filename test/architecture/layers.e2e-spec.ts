import { spawnSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { spawnSourceProcess } from '../support/source-process.js';

// The layer rules of docs/ARCHITECTURE.md are enforced by eslint.config.mjs, which `npm test` runs. These cases
// break each rule on purpose and check that the linter fails, so a rule cannot silently stop applying.
describe('layer rules (eslint.config.mjs)', () => {
  const eslint = new ESLint();

  async function restrictedImports(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath });
    return result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
  }

  it.each([
    ['the core loads classic-level', 'libs/broker-core/src/vhost/probe.ts', "import { ClassicLevel } from 'classic-level';"],
    ['the core loads the LevelDB backend', 'libs/broker-core/src/vhost/probe.ts', "import { openLevelStorage } from '@app/storage/level';"],
    ['the core uses Nest', 'libs/broker-core/src/probe.ts', "import { Injectable } from '@nestjs/common';"],
    ['the server uses RxJS', 'libs/server/src/probe.ts', "import { Subject } from 'rxjs';"],
    ['the server loads the LevelDB backend', 'libs/server/src/probe.ts', "import { openLevelStorage } from '@app/storage/level';"],
    ['the server loads the PostgreSQL backend', 'libs/server/src/probe.ts', "import { openPostgresStorage } from '@app/storage/postgres';"],
    ['the core loads the PostgreSQL driver', 'libs/broker-core/src/probe.ts', "import pg from 'pg';"],
    ['the broker imports the transport', 'libs/server/src/probe.ts', "import { WarrenClient } from '@app/transport';"],
    ['the broker app imports the transport', 'apps/broker/src/probe.ts', "import { WarrenServer } from '@app/transport';"],
    ['routing imports the core', 'libs/routing/src/probe.ts', "import { Queue } from '@app/broker-core';"],
    ['routing imports storage', 'libs/routing/src/probe.ts', "import type { MetadataStore } from '@app/storage';"],
    ['the codec imports routing', 'libs/codec/src/probe.ts', "import { Topology } from '@app/routing';"],
    ['the storage ports barrel loads a backend', 'libs/storage/src/probe.ts', "export * from './level/index.js';"],
    ['a library imports an app', 'libs/testing/src/probe.ts', "import { BrokerModule } from '../../../apps/broker/src/broker.module.js';"],
    ['a library reaches another by path', 'libs/server/src/probe.ts', "import { Queue } from '../../../libs/broker-core/src/index.js';"],
    ['the test kit core uses Nest', 'libs/testing/src/probe.ts', "import { Test } from '@nestjs/core';"],
    ['the admin API loads the core', 'apps/admin-api/src/probe.ts', "import { BrokerCore } from '@app/broker-core';"],
  ])('fails when %s', async (_rule, filePath, code) => {
    expect(await restrictedImports(filePath, code)).not.toEqual([]);
  });

  it.each([
    ['the server imports the core', 'libs/server/src/probe.ts', "import { BrokerCore } from '@app/broker-core';"],
    ['the broker app wires the LevelDB backend', 'apps/broker/src/probe.ts', "import { openLevelStorage } from '@app/storage/level';"],
    [
      'the broker app wires the PostgreSQL backend',
      'apps/broker/src/probe.ts',
      "import { openPostgresStorage } from '@app/storage/postgres';",
    ],
    ['the transport uses Nest', 'libs/transport/src/probe.ts', "import { Injectable } from '@nestjs/common';"],
    ['the test kit’s Nest helpers use Nest', 'libs/testing/src/nest/probe.ts', "import { NestFactory } from '@nestjs/core';"],
  ])('allows %s', async (_rule, filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });

  it('finds no library importing an app in the repo', () => {
    const grep = spawnSync('grep', ['-rln', '--include=*.ts', "from '[^']*apps/", 'libs'], { encoding: 'utf8' });
    expect(grep.stdout.trim()).toBe('');
    expect(grep.status).toBe(1); // grep's "nothing found", not an error
  });
});

describe('storage entry points', () => {
  async function probe(env: Record<string, string>): Promise<string[]> {
    const child = spawnSourceProcess('test/architecture/fixtures/memory-broker-modules.ts', env);
    const line = await child.waitForLine(/^(\{.*\})$/m, 'the probe result', 60_000);
    expect(await child.exited).toBe(0);
    const { body, natives } = JSON.parse(line) as { body: string; natives: string[] };
    expect(body).toBe('hello');
    return natives.filter((path) => path.includes('classic-level'));
  }

  it('a memory-only test broker never loads the classic-level native module', async () => {
    expect(await probe({})).toEqual([]);
  });

  it('a persistent test broker does load it (so the check above can fail)', async () => {
    expect(await probe({ PROBE_PERSISTENT: '1' })).not.toEqual([]);
  });
});

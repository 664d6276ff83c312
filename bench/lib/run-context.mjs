// Per-run context handed to a scenario: options, the connection session, and unique resource names that
// are remembered so run.mjs can delete them afterwards even if the scenario threw.
import { randomBytes } from 'node:crypto';
import { Session, withTimeout } from './clients.mjs';

const CLEANUP_TIMEOUT_MS = 30_000; // deleting a queue holding ~300k persistent messages takes a while

/** Creates the context for one run of one scenario. */
export function createRunContext(opts, scenarioName) {
  // pid + random suffix: two benches against one broker, or a rerun after a crash, never collide.
  const prefix = `bench.${scenarioName}.${process.pid}.${randomBytes(3).toString('hex')}`;
  const queues = [];
  const exchanges = [];
  return {
    opts,
    session: new Session(opts.url, opts.client),
    queueName(suffix = 'q') {
      const name = `${prefix}.${suffix}`;
      queues.push(name);
      return name;
    },
    exchangeName(suffix = 'x') {
      const name = `${prefix}.${suffix}`;
      exchanges.push(name);
      return name;
    },
    /**
     * Deletes every queue and exchange this run named (missing ones are fine) on a fresh connection, so a
     * channel closed by an error during the run cannot prevent cleanup. Returns warnings, never throws.
     */
    async cleanup() {
      const warnings = [];
      const session = new Session(opts.url, opts.client);
      try {
        const conn = await session.connect();
        for (const [kind, names] of [
          ['queue', queues],
          ['exchange', exchanges],
        ]) {
          for (const name of names) {
            // A fresh channel per delete: deleting an undeclared name closes the channel on some brokers.
            try {
              const ch = await withTimeout(conn.channel(), 5_000, 'open cleanup channel');
              const del = kind === 'queue' ? ch.deleteQueue(name) : ch.deleteExchange(name);
              await withTimeout(del, CLEANUP_TIMEOUT_MS, `delete ${kind} ${name}`);
              await withTimeout(ch.close(), 5_000, 'close cleanup channel');
            } catch (err) {
              warnings.push(`cleanup: ${kind} ${name}: ${err.message}`);
            }
          }
        }
      } catch (err) {
        warnings.push(`cleanup: ${err.message}`);
      } finally {
        await session.closeAll();
      }
      return warnings;
    },
  };
}

// Everything a benchmark starts (broker processes, a PostgreSQL cluster, temp directories, schemas) is registered
// here as it starts, and undone in reverse order at the end: after a normal run, an error, or Ctrl-C / SIGTERM. If the
// process exits before the asynchronous undo could run, each entry's synchronous fallback runs from the 'exit' event,
// so no broker or postgres server outlives the benchmark.

/** A stack of undo steps; see {@link Cleanup.add}. */
export class Cleanup {
  #steps = [];
  #running = undefined;

  constructor() {
    const onSignal = (signal) => {
      process.stderr.write(`\n${signal}: stopping what the benchmark started…\n`);
      // A second Ctrl-C while cleaning up exits at once; the 'exit' fallbacks still run.
      process.once(signal, () => process.exit(130));
      this.run().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', () => this.runSync());
  }

  /**
   * Registers an undo step: `undo` (async, the normal way) and optionally `undoSync` (used only if the process exits
   * before `undo` ran, e.g. process.exit from elsewhere). Returns a function that runs the step now and removes it.
   */
  add(name, undo, undoSync = undefined) {
    const step = { name, undo, undoSync, isDone: false };
    this.#steps.push(step);
    return async () => {
      const index = this.#steps.indexOf(step);
      if (index >= 0) this.#steps.splice(index, 1);
      await this.#runStep(step);
    };
  }

  /** Runs every remaining step, last registered first; errors are reported, never thrown. */
  run() {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) await this.#runStep(this.#steps.pop());
    })();
    return this.#running;
  }

  async #runStep(step) {
    if (step.isDone) return;
    step.isDone = true;
    try {
      await step.undo();
    } catch (error) {
      process.stderr.write(`cleanup: ${step.name}: ${error?.message ?? error}\n`);
    }
  }

  /** The 'exit' fallback: synchronous steps only, last registered first. */
  runSync() {
    for (const step of this.#steps.splice(0).reverse()) {
      if (step.isDone || step.undoSync === undefined) continue;
      step.isDone = true;
      try {
        step.undoSync();
      } catch {
        // Exiting: nothing more can be done.
      }
    }
  }
}

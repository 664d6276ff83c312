// Polls queue depth with a passive queue.declare every 0.5 s, as the reference harness did, to report the
// largest backlog a run built (the 10k unconsumed cap should keep it near or under 10k).

const POLL_INTERVAL_MS = 500;

/** Starts polling queues on channel ch (a dedicated channel: a failed passive declare closes it). */
export function startDepthPoller(ch, queues) {
  let maxDepth = 0;
  let isStopped = false;
  let failure;
  const loop = (async () => {
    while (!isStopped) {
      try {
        let depth = 0;
        for (const q of queues) depth += (await ch.checkQueue(q)).messageCount;
        maxDepth = Math.max(maxDepth, depth);
      } catch (err) {
        failure = err.message; // polling is diagnostic only: stop polling, keep benchmarking
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  })();
  return {
    /** Stops polling and returns { maxDepth, failure }; waits at most one interval for the last poll. */
    async stop() {
      isStopped = true;
      await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS * 2))]);
      return { maxDepth, failure };
    },
  };
}

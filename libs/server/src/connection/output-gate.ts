/**
 * Holds a channel's output until pending storage writes are on disk, so a reply such as `declare-ok` (and
 * everything after it on the channel, in order) means "durable". Frames keep being processed meanwhile; only what
 * the client sees waits (a method that must wait before it can act uses the channel's MethodSequencer instead).
 */
export class OutputGate {
  /** Storage writes the output waits for; while above zero, writes go through `defer`. */
  heldWrites = 0;
  private heldOutput?: Array<() => void>;

  constructor(
    /** The channel: output held while it closed is dropped; once released, its consumers may deliver again. */
    private readonly owner: { readonly state: string; resumeDeliveries(): void },
    private readonly onStorageFailure: (error: unknown) => void,
  ) {}

  /** Queues one write behind the pending storage writes (only while `heldWrites > 0`). */
  defer(write: () => void): void {
    this.heldOutput!.push(write);
  }

  /** Holds output until `write` settles; a failed write still releases the output, then reports the failure. */
  hold(write: Promise<unknown>): void {
    this.heldWrites++;
    this.heldOutput ??= [];
    const release = (): void => {
      if (--this.heldWrites > 0) return;
      const output = this.heldOutput!.splice(0);
      if (this.owner.state !== 'open') return;
      for (let i = 0; i < output.length; i++) {
        output[i]();
        // That write held the output again (and deferred its own reply): what followed it waits too, after that reply
        // and ahead of anything deferred from now on.
        if (this.heldWrites > 0) {
          this.heldOutput!.push(...output.slice(i + 1));
          return;
        }
      }
      this.owner.resumeDeliveries();
    };
    write.then(release, (error: unknown) => {
      release();
      this.onStorageFailure(error);
    });
  }
}

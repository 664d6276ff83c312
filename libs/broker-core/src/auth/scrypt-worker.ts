import { Worker } from 'node:worker_threads';

/** scrypt cost parameters (node:crypto's `ScryptOptions` subset the worker passes through). */
export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** How a {@link ScryptWorker} is built. */
export interface ScryptWorkerOptions {
  /** Most hashes queued or running at once for {@link ScryptWorker.tryDerive}; past it attempts are refused. */
  readonly maxPending?: number;
  /**
   * The worker's JavaScript (CommonJS, run with `eval: true`); the default hashes with `scryptSync`. A test can
   * pass a script that crashes to check that pending hashes fail and the next one gets a fresh worker.
   */
  readonly source?: string;
}

/** Nice value of the hashing thread on Linux (0 normal, 19 lowest): it yields the CPU to the broker's threads. */
const HASHING_THREAD_NICE = 10;

// Plain JavaScript evaluated as the worker's script: no file path, so it runs the same from the TypeScript
// sources under jest and from the nest build output. scryptSync, not scrypt: the async one would queue on
// libuv's threadpool, which worker threads share with the main thread and its LevelDB writes.
//
// On Linux, setpriority(PRIO_PROCESS, 0) (os.setPriority with no pid) applies to the calling thread only, so the
// hashing thread alone runs at a lower priority: under a storm of logins the broker's own thread and the storage
// threads get the CPU first. Elsewhere it would renice the whole process, so it is skipped.
const SCRYPT_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
if (process.platform === 'linux') {
  try { require('node:os').setPriority(${HASHING_THREAD_NICE}); } catch {}
}
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.password, job.salt, job.keyLength, job.parameters);
    parentPort.postMessage({ id: job.id, key });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String(error && error.message) });
  }
});
`;

/** Default bound: 32 hashes at ≈25-40 ms each is about a second of queueing at worst. */
const DEFAULT_MAX_PENDING = 32;

interface PendingHash {
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

interface WorkerReply {
  id: number;
  key?: Uint8Array;
  error?: string;
}

/**
 * scrypt on one dedicated worker thread, never on libuv's threadpool, so a storm of logins cannot starve the
 * storage writes that share that pool. Hashes run one at a time in arrival order.
 *
 * - The worker is started on first use and ref'd only while a hash is pending: an idle worker never keeps the
 *   process alive, and an awaited hash is never dropped by an event loop that looks empty.
 * - A worker that dies (crash, `close()`) fails every pending hash with an Error; the next hash starts a new one.
 * - {@link tryDerive} is bounded by `maxPending`: a full queue answers undefined at once, without hashing.
 */
export class ScryptWorker {
  private worker?: Worker;
  private readonly pending = new Map<number, PendingHash>();
  private nextId = 1;
  private readonly maxPending: number;
  private readonly source: string;
  /** Hashes the worker has answered since construction (observability and tests). */
  completedHashes = 0;
  /** Bounded hashes refused because the queue was full. */
  refusedHashes = 0;

  constructor(options: ScryptWorkerOptions = {}) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.source = options.source ?? SCRYPT_WORKER_SOURCE;
  }

  /** Hashes queued or running now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Derives a key, however long the queue (user creation, start-up); rejects if the worker dies meanwhile. */
  derive(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.ensureWorker();
      // Ref'd while a hash is owed, so a start-up that awaits one is not left with an empty event loop; unref'd
      // when idle, so an idle worker never keeps the process alive.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, password, salt, keyLength, parameters });
    });
  }

  /** Like {@link derive}, but resolves undefined at once when `maxPending` hashes are already queued. */
  tryDerive(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters): Promise<Buffer | undefined> {
    if (this.pending.size >= this.maxPending) {
      this.refusedHashes++;
      return Promise.resolve(undefined);
    }
    return this.derive(password, salt, keyLength, parameters);
  }

  /** Stops the worker thread; pending hashes reject. A later hash starts a new worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopped(worker, new Error('auth: password hashing stopped (broker closing)'));
    await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.source, { eval: true });
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error: Error) => this.stopped(worker, new Error(`auth: password hashing worker failed: ${error.message}`)));
    worker.on('exit', (code: number) => this.stopped(worker, new Error(`auth: password hashing worker exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker's message port again. derive() refs it while
    // a hash is pending.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(reply: WorkerReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    this.completedHashes++;
    if (reply.key) job.resolve(Buffer.from(reply.key.buffer, reply.key.byteOffset, reply.key.byteLength));
    else job.reject(new Error(`auth: scrypt failed: ${reply.error ?? 'no key'}`));
  }

  /** The worker is gone or going: forget it and fail what it held, so no login waits forever. */
  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) job.reject(error);
  }
}

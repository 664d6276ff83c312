import { labelBytes } from './exposition-writer.js';

/**
 * The objects of one kind (queues, channels, exchanges) as one scrape sees them, with their label sets: listed once per
 * scrape however many families read them (a queue has six), and labelled from a cache that outlives scrapes.
 *
 * The cache is a WeakMap keyed by the object: nothing is added to the broker's objects or to its message path, a
 * deleted object's entry goes with the object, and a queue deleted and declared again is a new object with new labels.
 * An object's labels never change (a queue's name and vhost, a channel's connection name and number are fixed).
 */
export class ScrapeObjects<T extends object> {
  private readonly labelCache = new WeakMap<T, Uint8Array>();
  private listed: T[] | undefined;
  private labels: Uint8Array[] = [];

  /**
   * @param list calls `add` for every object (and the context its labels need: the vhost of an exchange, the
   *   connection name of a channel).
   * @param labelPairs the label pairs (`[name, value, name, value…]`) of an object not yet cached; undefined when
   *   aggregated (no labels: none are built or cached).
   */
  constructor(
    private readonly list: (add: (object: T, context: string) => void) => void,
    private readonly labelPairs: ((object: T, context: string) => readonly string[]) | undefined,
  ) {}

  /** This scrape's objects, listed on first use. */
  objects(): readonly T[] {
    if (this.listed === undefined) this.gather();
    return this.listed!;
  }

  /** This scrape's label sets, index for index with {@link objects} (empty when aggregated). */
  labelSets(): readonly Uint8Array[] {
    if (this.listed === undefined) this.gather();
    return this.labels;
  }

  /** Ends the scrape: the next one lists again, and deleted objects are not held until then. */
  clear(): void {
    this.listed = undefined;
    this.labels = [];
  }

  private gather(): void {
    const listed: T[] = [];
    const labels: Uint8Array[] = [];
    const labelPairs = this.labelPairs;
    this.list((object, context) => {
      listed.push(object);
      if (labelPairs === undefined) return;
      let set = this.labelCache.get(object);
      if (set === undefined) this.labelCache.set(object, (set = labelBytes(labelPairs(object, context))));
      labels.push(set);
    });
    this.listed = listed;
    this.labels = labels;
  }
}

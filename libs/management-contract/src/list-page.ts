/** RabbitMQ's list query parameters: a page, a name filter (substring or regex), a sort key (a dotted path). */
export interface ListPageQuery {
  page?: number;
  page_size?: number;
  name?: string;
  use_regex?: boolean;
  sort?: string;
  sort_reverse?: boolean;
}

/** RabbitMQ's paged answer (only when `page` is given). */
export interface ListPage<T> {
  filtered_count: number;
  item_count: number;
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

/** A `name` that is not a valid regular expression with `use_regex`; each side answers it as a 400. */
export class InvalidListQueryError extends Error {}

/** RabbitMQ's default page size. */
export const DEFAULT_PAGE_SIZE = 100;

function valueAt(item: unknown, path: string): unknown {
  let value = item;
  for (const key of path.split('.'))
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/**
 * Filters, sorts and pages a list as RabbitMQ's management API does: `name` matches case-insensitively as a
 * substring (or as a regex with `use_regex`), `sort` orders by a dotted path (missing values first), `sort_reverse`
 * reverses the result; a page only when `page` is given. Shared by the admin API and the broker, which pages the
 * queue list itself so a page of 10,000 queues does not cross the management channel whole.
 */
export function pageList<T>(items: T[], query: ListPageQuery): T[] | ListPage<T> {
  let filtered = items;
  if (query.name !== undefined && query.name !== '') {
    const name = query.name;
    let test: (candidate: string) => boolean;
    if (query.use_regex) {
      let regex: RegExp;
      try {
        regex = new RegExp(name);
      } catch (error) {
        throw new InvalidListQueryError(`invalid regex: ${(error as Error).message}`);
      }
      test = (candidate) => regex.test(candidate);
    } else {
      const needle = name.toLowerCase();
      test = (candidate) => candidate.toLowerCase().includes(needle);
    }
    filtered = items.filter((item) => test(String(valueAt(item, 'name') ?? '')));
  }
  if (query.sort) {
    const key = query.sort;
    filtered = [...filtered].sort((a, b) => compare(valueAt(a, key), valueAt(b, key)));
  }
  if (query.sort_reverse) filtered = [...filtered].reverse();
  if (query.page === undefined) return filtered;
  const pageSize = query.page_size ?? DEFAULT_PAGE_SIZE;
  const pageCount = Math.max(1, Math.ceil(filtered.length / pageSize));
  const pageItems = filtered.slice((query.page - 1) * pageSize, query.page * pageSize);
  return {
    filtered_count: filtered.length,
    item_count: pageItems.length,
    items: pageItems,
    page: query.page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: items.length,
  };
}

import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Page } from '../api/types';
import { type Polled, usePoll } from './use-poll';

/** Filter, sort and paging state of a list page, sent to the admin API as RabbitMQ's query parameters. */
export interface ListState {
  name: string;
  useRegex: boolean;
  sort: string;
  reverse: boolean;
  page: number;
  pageSize: number;
}

/** A polled server-paged list with its filter, sort and paging state, as `usePagedList` returns it. */
export interface PagedList<T> extends Polled<Page<T>> {
  state: ListState;
  /** Changes the state; any change but a page number goes back to page 1. */
  update: (change: Partial<ListState>) => void;
}

/**
 * A polled list paged by the server (`page`, `page_size`, `name`, `use_regex`, `sort`, `sort_reverse`), so a
 * broker with 10,000 queues sends one page, never the whole list.
 */
export function usePagedList<T>(path: string, initialSort = 'name'): PagedList<T> {
  const [state, setState] = useState<ListState>({ name: '', useRegex: false, sort: initialSort, reverse: false, page: 1, pageSize: 50 });
  const query = new URLSearchParams({
    page: String(state.page),
    page_size: String(state.pageSize),
    name: state.name,
    use_regex: String(state.useRegex),
    sort: state.sort,
    sort_reverse: String(state.reverse),
  });
  const polled = usePoll(() => api<Page<T>>('GET', `${path}?${query}`), [path, query.toString()]);
  const update = (change: Partial<ListState>) => setState((previous) => ({ ...previous, page: 1, ...change }));
  return { ...polled, state, update };
}

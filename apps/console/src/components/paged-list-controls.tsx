import type { PagedList } from '../hooks/use-paged-list';
import { ErrorBanner } from './error-banner';
import { ListFilter } from './list-filter';
import { Pager } from './pager';

/** What a server-paged list shows above its table: the name filter and the load error. */
export function ListToolbar<T>({ list }: { list: PagedList<T> }) {
  return (
    <>
      <ListFilter state={list.state} update={list.update} />
      <ErrorBanner error={list.error} />
    </>
  );
}

/** The pager below a server-paged list's table, once a page has loaded. */
export function ListPager<T>({ list }: { list: PagedList<T> }) {
  const page = list.data;
  if (!page) return null;
  return (
    <Pager
      page={page.page}
      pageCount={page.page_count}
      pageSize={page.page_size}
      filtered={page.filtered_count}
      total={page.total_count}
      onPage={(p) => list.update({ page: p })}
      onPageSize={(pageSize) => list.update({ pageSize })}
    />
  );
}

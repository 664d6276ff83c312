import type { ComponentChildren } from 'preact';
import type { PagedList } from '../hooks/use-paged-list';
import { ErrorBanner } from './error-banner';
import { ListFilter } from './list-filter';
import { Pager } from './pager';

/** A server-paged list's scaffolding around its table (`children`): the name filter, the load error and the pager. */
export function PagedListView<T>({ list, children }: { list: PagedList<T>; children: ComponentChildren }) {
  const page = list.data;
  return (
    <>
      <ListFilter state={list.state} update={list.update} />
      <ErrorBanner error={list.error} />
      {children}
      {page && (
        <Pager
          page={page.page}
          pageCount={page.page_count}
          pageSize={page.page_size}
          filtered={page.filtered_count}
          total={page.total_count}
          onPage={(p) => list.update({ page: p })}
          onPageSize={(pageSize) => list.update({ pageSize })}
        />
      )}
    </>
  );
}

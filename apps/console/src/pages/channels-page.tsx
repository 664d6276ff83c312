import type { ChannelInfo } from '../api/types';
import { ChannelsTable } from '../components/channels-table';
import { ErrorBanner } from '../components/error-banner';
import { ListFilter } from '../components/list-filter';
import { Pager } from '../components/pager';
import { usePagedList } from '../hooks/use-paged-list';

/** Every channel (server-side paging). */
export function ChannelsPage() {
  const list = usePagedList<ChannelInfo>('/api/channels');
  const page = list.data;
  return (
    <section>
      <h1>Channels</h1>
      <ListFilter state={list.state} update={list.update} />
      <ErrorBanner error={list.error} />
      <ChannelsTable channels={page?.items} />
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
    </section>
  );
}

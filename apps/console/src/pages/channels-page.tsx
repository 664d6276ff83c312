import type { ChannelInfo } from '../api/types';
import { ChannelsTable } from '../components/channels-table';
import { PagedListView } from '../components/paged-list-view';
import { usePagedList } from '../hooks/use-paged-list';

/** Every channel (server-side paging). */
export function ChannelsPage() {
  const list = usePagedList<ChannelInfo>('/api/channels');
  return (
    <section>
      <h1>Channels</h1>
      <PagedListView list={list}>
        <ChannelsTable channels={list.data?.items} />
      </PagedListView>
    </section>
  );
}

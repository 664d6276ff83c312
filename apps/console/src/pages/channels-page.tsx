import type { ChannelInfo } from '../api/types';
import { ChannelsTable } from '../components/channels-table';
import { ListPager, ListToolbar } from '../components/paged-list-controls';
import { usePagedList } from '../hooks/use-paged-list';

/** Every channel (server-side paging). */
export function ChannelsPage() {
  const list = usePagedList<ChannelInfo>('/api/channels');
  const page = list.data;
  return (
    <section>
      <h1>Channels</h1>
      <ListToolbar list={list} />
      <ChannelsTable channels={page?.items} />
      <ListPager list={list} />
    </section>
  );
}

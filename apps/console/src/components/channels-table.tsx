import type { ChannelInfo } from '../api/types';
import { num, rate } from '../format';
import { NavLink } from './nav-link';

/** Channels with their prefetch, consumers, unacked count and mode. */
export function ChannelsTable({ channels }: { channels: ChannelInfo[] | undefined }) {
  if (!channels || channels.length === 0) return <p class="muted">No channels</p>;
  return (
    <table data-testid="channels-table">
      <thead>
        <tr>
          <th>Channel</th>
          <th>User</th>
          <th>Virtual host</th>
          <th>Mode</th>
          <th>State</th>
          <th>Prefetch</th>
          <th>Consumers</th>
          <th>Unacked</th>
          <th>Publish</th>
        </tr>
      </thead>
      <tbody>
        {channels.map((channel) => (
          <tr key={channel.name}>
            <td>
              <NavLink href={`/channels/${encodeURIComponent(channel.name)}`}>{channel.name}</NavLink>
            </td>
            <td>{channel.user ?? '–'}</td>
            <td>{channel.vhost ?? '–'}</td>
            <td>{[channel.confirm && 'C', channel.transactional && 'T'].filter(Boolean).join(' ')}</td>
            <td>{channel.state ?? '–'}</td>
            <td>{num(channel.prefetch_count)}</td>
            <td>{num(channel.consumer_count)}</td>
            <td>{num(channel.messages_unacknowledged)}</td>
            <td>{rate(channel.message_stats?.publish_details)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

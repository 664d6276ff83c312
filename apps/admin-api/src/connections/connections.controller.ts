import { Controller, Delete, Get, Headers, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { StatsQueryDto, statsParams } from '../common/stats-query.dto.js';

/** RabbitMQ's `/api/connections`, `/api/channels` (also per connection and per vhost) and `/api/consumers`. */
@ApiTags('connections')
@ApiBasicAuth()
@Controller('api')
export class ConnectionsController {
  constructor(private readonly management: ManagementClient) {}

  @Get('connections')
  async connections(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ConnectionsList, statsParams(query), auth), query);
  }

  @Get('connections/:name')
  connection(@Auth() auth: ManagementCaller, @Param('name') name: string, @Query() query: StatsQueryDto): Promise<unknown> {
    return this.management.call(ManagementPattern.ConnectionsGet, { name, ...statsParams(query) }, auth);
  }

  /** Closes the connection with 320 CONNECTION_FORCED and the `X-Reason` header as the reason. */
  @Delete('connections/:name')
  @HttpCode(204)
  async close(@Auth() auth: ManagementCaller, @Param('name') name: string, @Headers('x-reason') reason?: string): Promise<void> {
    await this.management.call(ManagementPattern.ConnectionsClose, { name, reason }, auth);
  }

  @Get('channels')
  async channels(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ChannelsList, statsParams(query), auth), query);
  }

  /** One channel by its name, `"<connection name> (<channel number>)"`, with its `consumer_details`. */
  @Get('channels/:name')
  channel(@Auth() auth: ManagementCaller, @Param('name') name: string, @Query() query: StatsQueryDto): Promise<unknown> {
    return this.management.call(ManagementPattern.ChannelsGet, { name, ...statsParams(query) }, auth);
  }

  @Get('connections/:name/channels')
  async connectionChannels(@Auth() auth: ManagementCaller, @Param('name') name: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ConnectionsChannels, { name, ...statsParams(query) }, auth), query);
  }

  @Get('vhosts/:vhost/channels')
  async vhostChannels(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ChannelsList, { vhost, ...statsParams(query) }, auth), query);
  }

  @Get('consumers')
  async consumers(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ConsumersList, {}, auth), query);
  }

  @Get('consumers/:vhost')
  async consumersInVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ConsumersList, { vhost }, auth), query);
  }
}

import { Controller, Delete, Get, Headers, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient, type ManagementAuth } from '../broker-client/management.client.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';

/** RabbitMQ's `/api/connections`, `/api/channels` and `/api/consumers`. */
@ApiTags('connections')
@ApiBasicAuth()
@Controller('api')
export class ConnectionsController {
  constructor(private readonly management: ManagementClient) {}

  @Get('connections')
  async connections(@Auth() auth: ManagementAuth, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.connections.list', {}, auth), query);
  }

  @Get('connections/:name')
  connection(@Auth() auth: ManagementAuth, @Param('name') name: string): Promise<unknown> {
    return this.management.call('management.connections.get', { name }, auth);
  }

  /** Closes the connection with 320 CONNECTION_FORCED and the `X-Reason` header as the reason. */
  @Delete('connections/:name')
  @HttpCode(204)
  async close(@Auth() auth: ManagementAuth, @Param('name') name: string, @Headers('x-reason') reason?: string): Promise<void> {
    await this.management.call('management.connections.close', { name, reason }, auth);
  }

  @Get('channels')
  async channels(@Auth() auth: ManagementAuth, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.channels.list', {}, auth), query);
  }

  @Get('consumers')
  async consumers(@Auth() auth: ManagementAuth, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.consumers.list', {}, auth), query);
  }

  @Get('consumers/:vhost')
  async consumersInVhost(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.consumers.list', { vhost }, auth), query);
  }
}

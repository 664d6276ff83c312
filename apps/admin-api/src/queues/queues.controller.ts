import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { applyListQuery, ListQueryDto, pageQueryOf } from '../common/list-query.dto.js';
import { DeclareQueueDto, DeleteQueueQueryDto, GetMessagesDto } from './queues.dto.js';

/** RabbitMQ's `/api/queues` routes. */
@ApiTags('queues')
@ApiBasicAuth()
@Controller('api/queues')
export class QueuesController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  list(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return this.listQueues(auth, {}, query);
  }

  @Get(':vhost')
  listInVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return this.listQueues(auth, { vhost }, query);
  }

  /** A page is cut by the broker (only the page crosses the management channel); a whole list is filtered here. */
  private async listQueues(auth: ManagementCaller, filter: { vhost?: string }, query: ListQueryDto): Promise<unknown> {
    if (query.page !== undefined) {
      return this.management.call(ManagementPattern.QueuesPage, { ...filter, ...pageQueryOf({ ...query, page: query.page }) }, auth);
    }
    return applyListQuery(await this.management.call(ManagementPattern.QueuesList, filter, auth), query);
  }

  @Get(':vhost/:name')
  get(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.QueuesGet, { vhost, name }, auth);
  }

  /** 201 when created, 204 when an equivalent queue existed; 400 with RabbitMQ's text when inequivalent. */
  @Put(':vhost/:name')
  async declare(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: DeclareQueueDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { created } = await this.management.call(ManagementPattern.QueuesDeclare, { vhost, name, ...body }, auth);
    response.status(created ? 201 : 204);
  }

  @Delete(':vhost/:name')
  @HttpCode(204)
  async delete(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Query() query: DeleteQueueQueryDto,
  ): Promise<void> {
    const flags = { if_empty: query['if-empty'] === 'true', if_unused: query['if-unused'] === 'true' };
    await this.management.call(ManagementPattern.QueuesDelete, { vhost, name, ...flags }, auth);
  }

  @Get(':vhost/:name/bindings')
  bindings(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.QueuesBindings, { vhost, name }, auth);
  }

  /** Purge. */
  @Delete(':vhost/:name/contents')
  @HttpCode(204)
  async purge(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('name') name: string): Promise<void> {
    await this.management.call(ManagementPattern.QueuesPurge, { vhost, name }, auth);
  }

  @Post(':vhost/:name/get')
  @HttpCode(200)
  getMessages(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: GetMessagesDto,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.QueuesGetMessages, { vhost, name, ...body }, auth);
  }
}

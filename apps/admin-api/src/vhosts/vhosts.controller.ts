import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { PutVhostDto } from './vhosts.dto.js';

/**
 * RabbitMQ's `/api/vhosts` routes: the list shows what the caller may see (monitors every vhost, others those they
 * have permissions on); creating, deleting and the permission lists are for administrators.
 */
@ApiTags('vhosts')
@ApiBasicAuth()
@Controller('api/vhosts')
export class VhostsController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  async list(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.VhostsList, {}, auth), query);
  }

  @Get(':vhost')
  get(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string): Promise<unknown> {
    return this.management.call(ManagementPattern.VhostsGet, { vhost }, auth);
  }

  /** 201 when created, 204 when it existed. */
  @Put(':vhost')
  async put(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Body() _body: PutVhostDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { created } = await this.management.call(ManagementPattern.VhostsPut, { vhost }, auth);
    response.status(created ? 201 : 204);
  }

  /** Deletes the vhost with its queues, messages, exchanges, bindings and permissions; closes its connections. */
  @Delete(':vhost')
  @HttpCode(204)
  async delete(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string): Promise<void> {
    await this.management.call(ManagementPattern.VhostsDelete, { vhost }, auth);
  }

  @Get(':vhost/permissions')
  permissions(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string): Promise<unknown> {
    return this.management.call(ManagementPattern.PermissionsList, { vhost }, auth);
  }

  @Get(':vhost/topic-permissions')
  topicPermissions(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string): Promise<unknown> {
    return this.management.call(ManagementPattern.TopicPermissionsList, { vhost }, auth);
  }
}

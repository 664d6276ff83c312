import { Body, Controller, Delete, Get, HttpCode, Param, Put, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { PutTopicPermissionsDto } from './permissions.dto.js';

/** RabbitMQ's `/api/topic-permissions` routes (administrators only). */
@ApiTags('permissions')
@ApiBasicAuth()
@Controller('api/topic-permissions')
export class TopicPermissionsController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  list(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.TopicPermissionsList, {}, auth);
  }

  /** The user's topic permissions in the vhost, one entry per exchange. */
  @Get(':vhost/:user')
  get(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('user') user: string): Promise<unknown> {
    return this.management.call(ManagementPattern.TopicPermissionsGet, { vhost, user }, auth);
  }

  /** 201 when granted on that exchange, 204 when replaced. */
  @Put(':vhost/:user')
  async put(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('user') user: string,
    @Body() body: PutTopicPermissionsDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { exchange, write, read } = body;
    const { created } = await this.management.call(ManagementPattern.TopicPermissionsPut, { vhost, user, exchange, write, read }, auth);
    response.status(created ? 201 : 204);
  }

  /** Clears the user's topic permissions in the vhost, on every exchange. */
  @Delete(':vhost/:user')
  @HttpCode(204)
  async delete(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('user') user: string): Promise<void> {
    await this.management.call(ManagementPattern.TopicPermissionsDelete, { vhost, user }, auth);
  }
}

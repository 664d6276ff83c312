import { Body, Controller, Delete, Get, HttpCode, Param, Put, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { PutPermissionsDto } from './permissions.dto.js';

/** RabbitMQ's `/api/permissions` routes (administrators only). */
@ApiTags('permissions')
@ApiBasicAuth()
@Controller('api/permissions')
export class PermissionsController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  list(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.PermissionsList, {}, auth);
  }

  @Get(':vhost/:user')
  get(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('user') user: string): Promise<unknown> {
    return this.management.call(ManagementPattern.PermissionsGet, { vhost, user }, auth);
  }

  /** 201 when granted, 204 when replaced; 400 `vhost_or_user_not_found` when either is missing. */
  @Put(':vhost/:user')
  async put(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('user') user: string,
    @Body() body: PutPermissionsDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { configure, write, read } = body;
    const { created } = await this.management.call(ManagementPattern.PermissionsPut, { vhost, user, configure, write, read }, auth);
    response.status(created ? 201 : 204);
  }

  @Delete(':vhost/:user')
  @HttpCode(204)
  async delete(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('user') user: string): Promise<void> {
    await this.management.call(ManagementPattern.PermissionsDelete, { vhost, user }, auth);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { BulkDeleteUsersDto, PutUserDto } from './users.dto.js';

/** RabbitMQ's `/api/users` routes (administrators only; the broker checks the caller's tags). */
@ApiTags('users')
@ApiBasicAuth()
@Controller('api/users')
export class UsersController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  list(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.UsersList, {}, auth);
  }

  /** Users with no permissions in any vhost (declared before `:name`, which would match it). */
  @Get('without-permissions')
  withoutPermissions(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.UsersWithoutPermissions, {}, auth);
  }

  @Post('bulk-delete')
  @HttpCode(204)
  async bulkDelete(@Auth() auth: ManagementCaller, @Body() body: BulkDeleteUsersDto): Promise<void> {
    await this.management.call(ManagementPattern.UsersBulkDelete, { users: body.users }, auth);
  }

  @Get(':name')
  get(@Auth() auth: ManagementCaller, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.UsersGet, { name }, auth);
  }

  /** 201 when created, 204 when replaced; a new password closes the user's connections. */
  @Put(':name')
  async put(
    @Auth() auth: ManagementCaller,
    @Param('name') name: string,
    @Body() body: PutUserDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { created } = await this.management.call(ManagementPattern.UsersPut, { name, ...body }, auth);
    response.status(created ? 201 : 204);
  }

  /** Deletes the user and its permissions and closes its connections. */
  @Delete(':name')
  @HttpCode(204)
  async delete(@Auth() auth: ManagementCaller, @Param('name') name: string): Promise<void> {
    await this.management.call(ManagementPattern.UsersDelete, { name }, auth);
  }

  @Get(':name/permissions')
  permissions(@Auth() auth: ManagementCaller, @Param('name') user: string): Promise<unknown> {
    return this.management.call(ManagementPattern.PermissionsList, { user }, auth);
  }

  @Get(':name/topic-permissions')
  topicPermissions(@Auth() auth: ManagementCaller, @Param('name') user: string): Promise<unknown> {
    return this.management.call(ManagementPattern.TopicPermissionsList, { user }, auth);
  }
}

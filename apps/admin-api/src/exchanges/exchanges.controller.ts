import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient, type ManagementAuth } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { DeclareExchangeDto, DeleteExchangeQueryDto, PublishDto, RouteDto } from './exchanges.dto.js';

/** RabbitMQ's `/api/exchanges` routes, plus Warren's route explain. */
@ApiTags('exchanges')
@ApiBasicAuth()
@Controller('api/exchanges')
export class ExchangesController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  async list(@Auth() auth: ManagementAuth, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.exchanges.list', {}, auth), query);
  }

  @Get(':vhost')
  async listInVhost(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.exchanges.list', { vhost }, auth), query);
  }

  @Get(':vhost/:name')
  get(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call('management.exchanges.get', { vhost, name }, auth);
  }

  /** 201 when created, 204 when an equivalent exchange existed; 400 with RabbitMQ's text when inequivalent. */
  @Put(':vhost/:name')
  async declare(
    @Auth() auth: ManagementAuth,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: DeclareExchangeDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { created } = await this.management.call<{ created: boolean }>('management.exchanges.declare', { vhost, name, ...body }, auth);
    response.status(created ? 201 : 204);
  }

  @Delete(':vhost/:name')
  @HttpCode(204)
  async delete(
    @Auth() auth: ManagementAuth,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Query() query: DeleteExchangeQueryDto,
  ): Promise<void> {
    await this.management.call('management.exchanges.delete', { vhost, name, if_unused: query['if-unused'] === 'true' }, auth);
  }

  @Get(':vhost/:name/bindings/source')
  source(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call('management.exchanges.bindings', { vhost, name, side: 'source' }, auth);
  }

  @Get(':vhost/:name/bindings/destination')
  destination(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call('management.exchanges.bindings', { vhost, name, side: 'destination' }, auth);
  }

  /** `{routed}`; 503 + Retry-After when a full `reject-publish` queue or a resource alarm refuses it. */
  @Post(':vhost/:name/publish')
  @HttpCode(200)
  publish(
    @Auth() auth: ManagementAuth,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: PublishDto,
  ): Promise<unknown> {
    return this.management.call('management.exchanges.publish', { vhost, name, ...body }, auth);
  }

  /** The queues a publish would reach and the bindings (and exchange hops) that take it there; publishes nothing. */
  @Post(':vhost/:name/route')
  @HttpCode(200)
  route(
    @Auth() auth: ManagementAuth,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: RouteDto,
  ): Promise<unknown> {
    return this.management.call('management.exchanges.route', { vhost, name, ...body }, auth);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { StatsQueryDto, statsParams } from '../common/stats-query.dto.js';
import { DeclareExchangeDto, DeleteExchangeQueryDto, PublishDto, RouteDto } from './exchanges.dto.js';

/** RabbitMQ's `/api/exchanges` routes, plus Warren's route explain. */
@ApiTags('exchanges')
@ApiBasicAuth()
@Controller('api/exchanges')
export class ExchangesController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  async list(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ExchangesList, statsParams(query), auth), query);
  }

  @Get(':vhost')
  async listInVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.ExchangesList, { vhost, ...statsParams(query) }, auth), query);
  }

  @Get(':vhost/:name')
  get(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Query() query: StatsQueryDto,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.ExchangesGet, { vhost, name, ...statsParams(query) }, auth);
  }

  /** 201 when created, 204 when an equivalent exchange existed; 400 with RabbitMQ's text when inequivalent. */
  @Put(':vhost/:name')
  async declare(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: DeclareExchangeDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const { created } = await this.management.call(ManagementPattern.ExchangesDeclare, { vhost, name, ...body }, auth);
    response.status(created ? 201 : 204);
  }

  @Delete(':vhost/:name')
  @HttpCode(204)
  async delete(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Query() query: DeleteExchangeQueryDto,
  ): Promise<void> {
    await this.management.call(ManagementPattern.ExchangesDelete, { vhost, name, if_unused: query['if-unused'] === 'true' }, auth);
  }

  @Get(':vhost/:name/bindings/source')
  source(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.ExchangesBindings, { vhost, name, side: 'source' }, auth);
  }

  @Get(':vhost/:name/bindings/destination')
  destination(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.ExchangesBindings, { vhost, name, side: 'destination' }, auth);
  }

  /** `{routed}`; 503 + Retry-After when a full `reject-publish` queue or a resource alarm refuses it. */
  @Post(':vhost/:name/publish')
  @HttpCode(200)
  publish(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: PublishDto,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.ExchangesPublish, { vhost, name, ...body }, auth);
  }

  /** The queues a publish would reach and the bindings (and exchange hops) that take it there; publishes nothing. */
  @Post(':vhost/:name/route')
  @HttpCode(200)
  route(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('name') name: string,
    @Body() body: RouteDto,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.ExchangesRoute, { vhost, name, ...body }, auth);
  }
}

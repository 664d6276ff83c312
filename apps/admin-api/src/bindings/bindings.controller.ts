import { Body, Controller, Delete, Get, HttpCode, HttpException, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpResponse } from '../common/http-types.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { CreateBindingDto } from './bindings.dto.js';

/** `q` or `e` in RabbitMQ's binding URLs. */
function destinationType(kind: string): 'queue' | 'exchange' {
  if (kind === 'q') return 'queue';
  if (kind === 'e') return 'exchange';
  throw new HttpException({ error: 'Object Not Found', reason: 'Not Found' }, 404);
}

/** The source and destination a binding URL `{vhost}/e/{source}/{kind}/{destination}` names, as the broker takes them; 404 for a bad kind. */
function endpoints(vhost: string, source: string, kind: string, destination: string) {
  return { vhost, source, destination, destination_type: destinationType(kind) };
}

/** RabbitMQ's `/api/bindings` routes, for exchange-to-queue (`q`) and exchange-to-exchange (`e`) bindings. */
@ApiTags('bindings')
@ApiBasicAuth()
@Controller('api/bindings')
export class BindingsController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  async list(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.BindingsList, {}, auth), query);
  }

  @Get(':vhost')
  async listInVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.BindingsList, { vhost }, auth), query);
  }

  @Get(':vhost/e/:source/:kind/:destination')
  between(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('source') source: string,
    @Param('kind') kind: string,
    @Param('destination') destination: string,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.BindingsList, endpoints(vhost, source, kind, destination), auth);
  }

  /** 201 with `Location: {destination}/{props}` naming the new binding, as RabbitMQ answers. */
  @Post(':vhost/e/:source/:kind/:destination')
  async create(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('source') source: string,
    @Param('kind') kind: string,
    @Param('destination') destination: string,
    @Body() body: CreateBindingDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const binding = { ...endpoints(vhost, source, kind, destination), ...body };
    const { properties_key } = await this.management.call(ManagementPattern.BindingsCreate, binding, auth);
    response.setHeader('Location', `${encodeURIComponent(destination)}/${properties_key}`);
    response.status(201);
  }

  @Get(':vhost/e/:source/:kind/:destination/:props')
  get(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('source') source: string,
    @Param('kind') kind: string,
    @Param('destination') destination: string,
    @Param('props') props: string,
  ): Promise<unknown> {
    return this.management.call(ManagementPattern.BindingsGet, { ...endpoints(vhost, source, kind, destination), props }, auth);
  }

  @Delete(':vhost/e/:source/:kind/:destination/:props')
  @HttpCode(204)
  async delete(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Param('source') source: string,
    @Param('kind') kind: string,
    @Param('destination') destination: string,
    @Param('props') props: string,
  ): Promise<void> {
    await this.management.call(ManagementPattern.BindingsDelete, { ...endpoints(vhost, source, kind, destination), props }, auth);
  }
}

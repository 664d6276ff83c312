import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import { DefinitionsDto } from './definitions.dto.js';

/** Topology export and import (a cheap backup of the LevelDB store's topology). */
@ApiTags('definitions')
@ApiBasicAuth()
@Controller('api/definitions')
export class DefinitionsController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  export(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.DefinitionsExport, {}, auth);
  }

  /** All or nothing: the broker checks the whole file against a scratch topology before applying it. */
  @Post()
  @HttpCode(204)
  async import(@Auth() auth: ManagementCaller, @Body() body: DefinitionsDto): Promise<void> {
    const { exchanges, queues, bindings } = body;
    await this.management.call(ManagementPattern.DefinitionsImport, { exchanges, queues, bindings }, auth);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import { DefinitionsDto } from './definitions.dto.js';

/**
 * RabbitMQ's definitions export and import (administrators only): users with their password hashes, vhosts,
 * permissions, topic permissions and topology; per vhost, the topology only.
 */
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
    const { users, vhosts, permissions, topic_permissions, exchanges, queues, bindings } = body;
    const data = { users, vhosts, permissions, topic_permissions, exchanges, queues, bindings };
    await this.management.call(ManagementPattern.DefinitionsImport, data, auth);
  }

  @Get(':vhost')
  exportVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string): Promise<unknown> {
    return this.management.call(ManagementPattern.DefinitionsExportVhost, { vhost }, auth);
  }

  /** The topology of the file into one vhost (every entry's `vhost` is ignored, as RabbitMQ's per-vhost import). */
  @Post(':vhost')
  @HttpCode(204)
  async importVhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Body() body: DefinitionsDto): Promise<void> {
    const { exchanges, queues, bindings } = body;
    await this.management.call(ManagementPattern.DefinitionsImportVhost, { vhost, exchanges, queues, bindings }, auth);
  }
}

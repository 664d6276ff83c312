import { Controller, Get, Param } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';

/** RabbitMQ's `/api/nodes`: the node's memory, disk, descriptors and listeners (monitoring and administrator tags). */
@ApiTags('nodes')
@ApiBasicAuth()
@Controller('api/nodes')
export class NodesController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  list(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.NodesList, {}, auth);
  }

  @Get(':name')
  get(@Auth() auth: ManagementCaller, @Param('name') name: string): Promise<unknown> {
    return this.management.call(ManagementPattern.NodesGet, { name }, auth);
  }
}

import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient, type ManagementAuth } from '../broker-client/management.client.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';

/** `/api/overview` (with the broker's resource alarms) and `/api/vhosts`. */
@ApiTags('overview')
@ApiBasicAuth()
@Controller('api')
export class OverviewController {
  constructor(private readonly management: ManagementClient) {}

  @Get('overview')
  overview(@Auth() auth: ManagementAuth): Promise<unknown> {
    return this.management.call('management.overview', {}, auth);
  }

  @Get('vhosts')
  async vhosts(@Auth() auth: ManagementAuth, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call<object[]>('management.vhosts.list', {}, auth), query);
  }

  @Get('vhosts/:vhost')
  async vhost(@Auth() auth: ManagementAuth, @Param('vhost') vhost: string): Promise<unknown> {
    const all = await this.management.call<{ name: string }[]>('management.vhosts.list', {}, auth);
    const found = all.find((candidate) => candidate.name === vhost);
    if (!found) throw new NotFoundException();
    return found;
  }
}

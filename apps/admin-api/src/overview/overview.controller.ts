import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import { applyListQuery, ListQueryDto } from '../common/list-query.dto.js';
import { StatsQueryDto, statsParams } from '../common/stats-query.dto.js';

/** `/api/overview` (with the broker's resource alarms) and `/api/vhosts`. */
@ApiTags('overview')
@ApiBasicAuth()
@Controller('api')
export class OverviewController {
  constructor(private readonly management: ManagementClient) {}

  @Get('overview')
  overview(@Auth() auth: ManagementCaller, @Query() query: StatsQueryDto): Promise<unknown> {
    return this.management.call(ManagementPattern.Overview, statsParams(query), auth);
  }

  @Get('vhosts')
  async vhosts(@Auth() auth: ManagementCaller, @Query() query: ListQueryDto): Promise<unknown> {
    return applyListQuery(await this.management.call(ManagementPattern.VhostsList, statsParams(query), auth), query);
  }

  @Get('vhosts/:vhost')
  async vhost(@Auth() auth: ManagementCaller, @Param('vhost') vhost: string, @Query() query: StatsQueryDto): Promise<unknown> {
    const all = await this.management.call(ManagementPattern.VhostsList, statsParams(query), auth);
    const found = all.find((candidate) => candidate.name === vhost);
    if (!found) throw new NotFoundException();
    return found;
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';

/** `/api/overview` (with the broker's resource alarms), totals over what the caller may see. */
@ApiTags('overview')
@ApiBasicAuth()
@Controller('api')
export class OverviewController {
  constructor(private readonly management: ManagementClient) {}

  @Get('overview')
  overview(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.Overview, {}, auth);
  }
}

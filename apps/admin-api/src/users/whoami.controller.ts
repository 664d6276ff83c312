import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';

/** `GET /api/whoami`: the HTTP user's name and tags, for every management user. */
@ApiTags('users')
@ApiBasicAuth()
@Controller('api/whoami')
export class WhoamiController {
  constructor(private readonly management: ManagementClient) {}

  @Get()
  whoami(@Auth() auth: ManagementCaller): Promise<unknown> {
    return this.management.call(ManagementPattern.Whoami, {}, auth);
  }
}

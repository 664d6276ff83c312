import { createParamDecorator, HttpException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ManagementClient, type ManagementAuth } from '../broker-client/management.client.js';
import type { HttpRequest } from '../common/http-types.js';

/**
 * HTTP Basic against the broker's own users: the credentials go to the broker (`management.authenticate`) with the
 * HTTP client's address, so `guest` works only from loopback, as over AMQP. Every later RPC of the request carries
 * them again and the broker checks them again (it does not trust the admin API's word).
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(private readonly management: ManagementClient) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized('Not authorized');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized('Not authorized');
    const auth: ManagementAuth = {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      remote_address: request.socket.remoteAddress,
    };
    await this.management.call('management.authenticate', { ...auth });
    request.managementAuth = auth;
    return true;
  }
}

function unauthorized(reason: string): HttpException {
  return new HttpException({ error: 'not_authorized', reason }, 401);
}

/** The authenticated user's credentials, to forward with management RPCs. */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext): ManagementAuth => {
  const auth = context.switchToHttp().getRequest<HttpRequest>().managementAuth;
  if (!auth) throw unauthorized('Not authorized');
  return auth;
});

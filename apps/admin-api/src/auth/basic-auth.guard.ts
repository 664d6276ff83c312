import { createParamDecorator, HttpException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpRequest } from '../common/http-types.js';
import { PasswordVerifier } from './password-verifier.js';

/**
 * HTTP Basic against the broker's own users. The password is checked by an AMQP login on the management listener
 * ({@link PasswordVerifier}) and goes nowhere else; then `management.authenticate` asks the broker whether the user
 * may use the management API from the HTTP client's address (`guest` only from loopback, as over AMQP). Every
 * later request names the user and address again and the broker authorizes it again.
 */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(
    private readonly management: ManagementClient,
    private readonly passwords: PasswordVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized('Not authorized');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized('Not authorized');
    const username = decoded.slice(0, colon);
    if (!(await this.passwords.verify(username, decoded.slice(colon + 1)))) throw unauthorized('Login failed');
    const caller: ManagementCaller = { username, remote_address: request.socket.remoteAddress };
    await this.management.call(ManagementPattern.Authenticate, {}, caller);
    request.managementCaller = caller;
    return true;
  }
}

function unauthorized(reason: string): HttpException {
  return new HttpException({ error: 'not_authorized', reason }, 401);
}

/** The authenticated HTTP user (name and address), to name in management requests. */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext): ManagementCaller => {
  const caller = context.switchToHttp().getRequest<HttpRequest>().managementCaller;
  if (!caller) throw unauthorized('Not authorized');
  return caller;
});

import { createParamDecorator, HttpException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import { ManagementClient } from '../broker-client/management.client.js';
import type { HttpRequest } from '../common/http-types.js';
import { LoginThrottle } from './login-throttle.js';
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
    private readonly throttle: LoginThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    // A request with a body was authenticated before its body was read (authenticate-first.ts).
    if (request.managementCaller) return true;
    await this.authenticate(request);
    return true;
  }

  /** Checks the request's credentials and sets `request.managementCaller`; throws 401, 429 or 503. */
  async authenticate(request: HttpRequest): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized('Not authorized');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized('Not authorized');
    const username = decoded.slice(0, colon);
    const address = request.socket.remoteAddress ?? '';
    this.throttle.check(address);
    if (!(await this.passwords.verify(username, decoded.slice(colon + 1)))) {
      this.throttle.failed(address);
      throw unauthorized('Login failed');
    }
    const caller: ManagementCaller = { username, remote_address: request.socket.remoteAddress };
    await this.management.call(ManagementPattern.Authenticate, {}, caller);
    request.managementCaller = caller;
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

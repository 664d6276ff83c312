import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { TooManyLoginsException } from '../auth/login-throttle.js';
import { RetryableHttpException } from '../broker-client/management.client.js';
import type { HttpResponse } from './http-types.js';

/**
 * Every error as RabbitMQ's management API writes it: `{"error", "reason"}` (404 `Object Not Found`, 400
 * `bad_request` with the validation messages or the AMQP text, 401 `not_authorized` for a failed login, `not_authorised` for a refused tag or permission, as RabbitMQ spells them), plus `Retry-After` on 503s
 * caused by backpressure.
 */
@Catch()
export class RabbitExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(RabbitExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (!(exception instanceof HttpException)) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      response.status(500).json({ error: 'internal_server_error', reason: 'internal error' });
      return;
    }
    sendHttpException(response, exception);
  }
}

/** Writes an HttpException as RabbitMQ does (used by the filter and by middleware that runs before Nest's routing). */
export function sendHttpException(response: HttpResponse, exception: HttpException): void {
  const status = exception.getStatus();
  if (exception instanceof RetryableHttpException || exception instanceof TooManyLoginsException) {
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
  }
  // Not for the web console's calls (X-Requested-With, as RabbitMQ's UI sends): the browser would show its own
  // Basic-auth prompt over the console's login page.
  if (status === 401 && response.req?.headers['x-requested-with'] !== 'XMLHttpRequest') {
    response.setHeader('WWW-Authenticate', 'Basic realm="Warren Management"');
  }
  response.status(status).json(bodyOf(exception, status));
}

function bodyOf(exception: HttpException, status: number): { error: string; reason: string } {
  const body = exception.getResponse();
  if (typeof body === 'object' && body !== null && 'error' in body && 'reason' in body) return body as { error: string; reason: string };
  if (status === 404) return { error: 'Object Not Found', reason: 'Not Found' };
  const message =
    typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : exception.message;
  const reason = Array.isArray(message) ? message.join('; ') : String(message);
  if (status === 400) return { error: 'bad_request', reason };
  return {
    error: exception.name
      .replace(/Exception$/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase(),
    reason,
  };
}

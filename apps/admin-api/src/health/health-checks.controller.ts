import { BadRequestException, Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { certificatesExpiringBy } from '@app/config';
import { ManagementPattern, type HealthCheckRequest, type ManagementCaller } from '@app/management-contract';
import { Auth } from '../auth/basic-auth.guard.js';
import { ManagementClient } from '../broker-client/management.client.js';
import { ADMIN_CONFIG, type AdminConfig } from '../config/admin-config.js';
import type { HttpRequest, HttpResponse } from '../common/http-types.js';

/** RabbitMQ's time units of `certificate-expiration/{within}/{unit}`, in seconds. */
const UNIT_SECONDS: Record<string, number> = { days: 86_400, weeks: 7 * 86_400, months: 30 * 86_400, years: 365 * 86_400 };

/** A health answer: `status` plus whatever the check reports (`reason`, `missing`, `ports`, `expired`…). */
type HealthBody = { status: 'ok' | 'failed'; reason?: string } & Record<string, unknown>;

/** The listener this request came in on: the admin API's own (`http` or `https`), which the broker does not know. */
function ownListener(request: HttpRequest): { protocol: string; port: number } {
  const socket = request.socket as { localPort?: number; encrypted?: boolean };
  return { protocol: socket.encrypted ? 'https' : 'http', port: socket.localPort ?? 0 };
}

/**
 * The rest of RabbitMQ's health checks (`/api/health/checks/...`; alarms and storage-integrity are in
 * HealthController): 200 `{"status":"ok"}` or 503 `{"status":"failed","reason",...}`.
 * The broker answers them after it has recovered its store; until then, or while it is unreachable, every check is
 * 503 with the reason. The admin API adds its own HTTP(S) listener and certificate.
 */
@ApiTags('health')
@ApiBasicAuth()
@Controller('api/health/checks')
export class HealthChecksController {
  constructor(
    private readonly management: ManagementClient,
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
  ) {}

  @Get('local-alarms')
  localAlarms(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'local-alarms' }, auth, response);
  }

  @Get('certificate-expiration/:within/:unit')
  async certificateExpiration(
    @Auth() auth: ManagementCaller,
    @Param('within') within: string,
    @Param('unit') unit: string,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<HealthBody> {
    if (!/^\d+$/.test(within)) throw new BadRequestException(`within must be a non-negative integer, got: ${within}`);
    if (!UNIT_SECONDS[unit]) throw new BadRequestException(`unit must be one of days, weeks, months, years, got: ${unit}`);
    const seconds = Number(within) * UNIT_SECONDS[unit];
    const own = this.config.https
      ? certificatesExpiringBy(this.config.https.certFile, new Date(Date.now() + seconds * 1000)).map((certificate) => ({
          protocol: 'https',
          ...certificate,
        }))
      : [];
    const broker = await this.ask({ check: 'certificate-expiration', within_seconds: seconds }, auth, response);
    if (own.length === 0) return broker;
    const expired = [...own, ...(Array.isArray(broker.expired) ? broker.expired : [])];
    response.status(503);
    return { status: 'failed', reason: 'Certificates expiring', expired };
  }

  @Get('port-listener/:port')
  portListener(
    @Auth() auth: ManagementCaller,
    @Param('port') port: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<HealthBody> {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) throw new BadRequestException(`port must be a port number, got: ${port}`);
    const own = ownListener(request);
    if (Number(port) === own.port)
      return this.ask({ check: 'is-in-service' }, auth, response).then((answer) =>
        answer.status === 'ok' ? { status: 'ok', port: own.port } : answer,
      );
    return this.ask({ check: 'port-listener', port: Number(port) }, auth, response).then((answer) =>
      Array.isArray(answer.ports) ? { ...answer, ports: [...answer.ports, own.port] } : answer,
    );
  }

  @Get('protocol-listener/:protocol')
  protocolListener(
    @Auth() auth: ManagementCaller,
    @Param('protocol') protocol: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<HealthBody> {
    const own = ownListener(request);
    const wanted = protocol.toLowerCase() === 'http/ssl' ? 'https' : protocol.toLowerCase();
    if (wanted === own.protocol)
      return this.ask({ check: 'is-in-service' }, auth, response).then((answer) =>
        answer.status === 'ok' ? { status: 'ok', protocol: own.protocol } : answer,
      );
    return this.ask({ check: 'protocol-listener', protocol }, auth, response).then((answer) =>
      Array.isArray(answer.protocols) ? { ...answer, protocols: [...answer.protocols, own.protocol] } : answer,
    );
  }

  @Get('virtual-hosts')
  virtualHosts(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'virtual-hosts' }, auth, response);
  }

  @Get('node-is-quorum-critical')
  quorumCritical(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'node-is-quorum-critical' }, auth, response);
  }

  @Get('node-is-mirror-sync-critical')
  mirrorSyncCritical(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'node-is-mirror-sync-critical' }, auth, response);
  }

  @Get('is-in-service')
  isInService(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'is-in-service' }, auth, response);
  }

  @Get('below-node-connection-limit')
  belowConnectionLimit(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'below-node-connection-limit' }, auth, response);
  }

  /** RabbitMQ's composite readiness: in service, listening for AMQP, below the connection limit. */
  @Get('ready-to-serve-clients')
  readyToServeClients(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'ready-to-serve-clients' }, auth, response);
  }

  @Get('metadata-store/initialized')
  metadataStoreInitialized(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'metadata-store-initialized' }, auth, response);
  }

  @Get('metadata-store/initialized/with-data')
  metadataStoreWithData(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'metadata-store-initialized-with-data' }, auth, response);
  }

  /** Warren has no quorum queues: none can be without a leader (the vhost must exist). */
  @Get(['quorum-queues-without-elected-leaders/all-vhosts', 'quorum-queues-without-elected-leaders/all-vhosts/pattern/:pattern'])
  quorumLeadersAllVhosts(@Auth() auth: ManagementCaller, @Res({ passthrough: true }) response: HttpResponse): Promise<HealthBody> {
    return this.ask({ check: 'virtual-hosts' }, auth, response);
  }

  @Get(['quorum-queues-without-elected-leaders/vhost/:vhost', 'quorum-queues-without-elected-leaders/vhost/:vhost/pattern/:pattern'])
  async quorumLeadersVhost(
    @Auth() auth: ManagementCaller,
    @Param('vhost') vhost: string,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<HealthBody> {
    // 404 for a vhost that does not exist, as RabbitMQ.
    await this.management.call(ManagementPattern.QueuesList, { vhost }, auth);
    return this.ask({ check: 'virtual-hosts' }, auth, response);
  }

  /** Asks the broker; a failed check, or a broker that cannot answer (down, still recovering), is a 503. */
  private async ask(request: HealthCheckRequest, auth: ManagementCaller, response: HttpResponse): Promise<HealthBody> {
    let answer: HealthBody;
    try {
      answer = (await this.management.call(ManagementPattern.HealthCheck, request, auth)) as HealthBody;
    } catch (error) {
      const status = (error as { getStatus?: () => number }).getStatus?.();
      // A 4xx (bad parameter, no such vhost) is the caller's error and keeps its status.
      if (status !== undefined && status >= 400 && status < 500) throw error;
      const reason = (error as { getResponse?: () => { reason?: string } }).getResponse?.().reason ?? (error as Error).message;
      answer = { status: 'failed', reason: `the broker cannot answer (starting up, recovering its store, or down): ${reason}` };
    }
    if (answer.status !== 'ok') response.status(503);
    return answer;
  }
}

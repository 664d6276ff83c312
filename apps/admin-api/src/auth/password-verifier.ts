import { createHmac, randomBytes } from 'node:crypto';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { MANAGEMENT_VHOST } from '@app/management-contract';
import amqplib from 'amqplib';
import { ADMIN_CONFIG, type AdminConfig } from '../config/admin-config.js';

/** How long a verified password is believed without asking the broker again. */
const CACHE_TTL_MS = 5_000;
/** Most verified logins kept; the oldest goes first (a flood of users cannot grow memory). */
const CACHE_MAX_ENTRIES = 1000;

/**
 * Checks an HTTP Basic user's password without ever sending it in a management request: by an AMQP login with
 * those credentials on the broker's management listener (SASL PLAIN, then close). The broker checks the password
 * exactly as for any client. A success is cached briefly, keyed by an HMAC under a per-process random key (never
 * the password itself); concurrent checks of the same credentials share one login.
 */
@Injectable()
export class PasswordVerifier {
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(@Inject(ADMIN_CONFIG) private readonly config: AdminConfig) {}

  /** Whether the broker accepts these credentials; 503 when the broker cannot be reached. */
  async verify(username: string, password: string): Promise<boolean> {
    const digest = createHmac('sha256', this.key).update(username).update('\0').update(password).digest('base64');
    const expiresAt = this.verified.get(digest);
    if (expiresAt !== undefined && expiresAt > Date.now()) return true;
    this.verified.delete(digest);
    let check = this.inFlight.get(digest);
    if (!check) {
      check = this.login(username, password).finally(() => this.inFlight.delete(digest));
      this.inFlight.set(digest, check);
    }
    const isValid = await check;
    if (isValid) this.remember(digest);
    return isValid;
  }

  private remember(digest: string): void {
    if (this.verified.size >= CACHE_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(digest, Date.now() + CACHE_TTL_MS);
  }

  private async login(username: string, password: string): Promise<boolean> {
    const { hostname, port } = this.config.broker;
    let model;
    try {
      model = await amqplib.connect(
        { protocol: 'amqp', hostname, port, username, password, vhost: MANAGEMENT_VHOST, heartbeat: 0 },
        { clientProperties: { connection_name: 'warren-admin-api (login check)' } },
      );
    } catch (error) {
      // amqplib reports a refused login as "Handshake terminated by server: 403 (ACCESS-REFUSED) ...".
      if (/ACCESS[-_]REFUSED|403/.test((error as Error).message)) return false;
      throw new HttpException({ error: 'service_unavailable', reason: `broker unavailable: ${(error as Error).message}` }, 503);
    }
    model.on('error', () => undefined);
    await model.close().catch(() => undefined);
    return true;
  }
}

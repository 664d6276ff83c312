import { waitFor } from '../support/wait-for.js';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

/** A broker whose memory alarm is always on (a 2-byte watermark): the admin API still answers, and says so. */
describe('admin API under a resource alarm', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack({ WARREN_MEMORY_HIGH_WATERMARK: '2' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('reports the alarm in health checks and the overview (management RPCs are not blocked)', async () => {
    // The broker checks memory before it listens, so the alarm is in force from the start; poll anyway.
    const alarms = await waitFor(
      async () => {
        const response = await stack.api('GET', '/api/health/checks/alarms');
        return response.status === 503 ? response : undefined;
      },
      { what: 'the alarm health check to fail' },
    );
    expect(alarms.status).toBe(503);
    const overview = await stack.api('GET', '/api/overview');
    expect(overview.status).toBe(200);
    expect(JSON.stringify(overview.body)).toMatch(/memory/);
  });

  it('answers 503 with Retry-After to publishes while publishers are blocked', async () => {
    expect((await stack.api('PUT', '/api/queues/%2F/alarmed', { durable: false })).status).toBe(201);
    const response = await stack.api('POST', '/api/exchanges/%2F/amq.default/publish', {
      properties: {},
      routing_key: 'alarmed',
      payload: 'blocked',
      payload_encoding: 'string',
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

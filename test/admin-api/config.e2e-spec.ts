import { spawnAdminApiProcess } from './support/admin-api-process.js';

/** The admin API parses its variables with the broker's schema: the same bad values stop it, naming the variable. */
describe('admin API configuration', () => {
  it.each([
    ['WARREN_HTTP_PORT', '0x50'],
    ['WARREN_HTTP_PORT', ''],
    ['WARREN_HTTP_PORT', '65536'],
    ['WARREN_HTTP_HOST', 'bad host!'],
  ])('refuses to start with %s=%j and names it', async (name, value) => {
    const admin = spawnAdminApiProcess({ WARREN_BROKER_URL: 'amqp://guest:guest@127.0.0.1:1', [name]: value });
    try {
      expect(await admin.exited).toBe(2);
      expect(admin.output()).toContain(`config: ${name} must be`);
      expect(admin.output()).not.toMatch(/\n\s+at /);
    } finally {
      admin.child.kill('SIGKILL');
    }
  });

  it('refuses a broker URL that is not AMQP without echoing it (it may carry a password)', async () => {
    const admin = spawnAdminApiProcess({ WARREN_BROKER_URL: 'http://admin:hunter2@127.0.0.1:5672' });
    try {
      expect(await admin.exited).toBe(2);
      expect(admin.output()).toContain('WARREN_BROKER_URL');
      expect(admin.output()).not.toContain('hunter2');
    } finally {
      admin.child.kill('SIGKILL');
    }
  });
});

import { Server } from '@nestjs/microservices';
import { installNest11Compat } from './nest11-compat.js';
import { WarrenServer } from './warren-server.js';

// The Nest 11 shim must leave Nest 12 alone: WarrenServer keeps the methods it inherits from Nest 12's Server.
// (The Nest 11 side is covered by scripts/consumer-test.mjs, which runs a Nest 11 CommonJS app.)
describe('installNest11Compat', () => {
  it('does nothing under Nest 12', () => {
    expect(installNest11Compat()).toBe(false);
    expect(Object.hasOwn(WarrenServer.prototype, 'runWithProcessingHooks')).toBe(false);
    expect(Object.hasOwn(WarrenServer.prototype, 'handleRequest')).toBe(false);
    expect(typeof (Server.prototype as unknown as Record<string, unknown>).runWithProcessingHooks).toBe('function');
  });
});

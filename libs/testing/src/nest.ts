// NestJS helpers of the test broker (`@app/testing/nest.js`): kept out of the main entry so that tests that only
// speak AMQP do not load Nest and the transport.
export { createTestClient } from './nest/test-client.js';
export {
  createTestMicroservice,
  createTestMicroservices,
  TEST_RECONNECT,
  type TestLogger,
  type TestMicroservice,
  type TestMicroserviceOptions,
} from './nest/test-microservice.js';

import { BadRequestException } from '@nestjs/common';
import { refuseDeepJson } from './json-depth.js';

describe('refuseDeepJson', () => {
  it.each([
    ['{}', true],
    ['[[[1]]]', true],
    ['{"a":"[[[[[[[[[["}', true],
    ['{"a":"\\"[[[[[["}', true],
    ['[[[[1]]]]', false],
    ['{"a":{"b":{"c":{"d":1}}}}', false],
  ])('%s within 3 levels: %s', (json, isAccepted) => {
    const check = () => refuseDeepJson(Buffer.from(json), 3);
    if (isAccepted) expect(check).not.toThrow();
    else expect(check).toThrow(BadRequestException);
  });
});

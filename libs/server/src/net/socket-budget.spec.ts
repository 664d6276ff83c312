import { readFdLimit, socketBudget } from './socket-budget.js';

describe('socketBudget', () => {
  it.each([
    [1024, 921],
    [256, 156],
    [65536, 58982],
    [120, 60],
    [1, 1],
  ])('leaves headroom below an fd limit of %i: %i sockets', (fdLimit, budget) => {
    expect(socketBudget(fdLimit)).toBe(budget);
  });
});

describe('readFdLimit', () => {
  it('reads a positive soft limit on this machine', () => {
    expect(readFdLimit()).toBeGreaterThan(0);
  });
});

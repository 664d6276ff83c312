import { runGuarded } from './background-task.js';

describe('runGuarded', () => {
  it('reports what the task throws instead of throwing it', () => {
    const reported: string[] = [];
    runGuarded(
      'expiry',
      () => {
        throw new Error('boom');
      },
      (task, error) => reported.push(`${task}: ${(error as Error).message}`),
    );
    expect(reported).toEqual(['expiry: boom']);
  });

  it('swallows a reporter that fails too', () => {
    const fail = (): never => {
      throw new Error('boom');
    };
    expect(() => runGuarded('expiry', fail, fail)).not.toThrow();
  });
});

import { createBrokerLogger } from './logger.js';

describe('createBrokerLogger', () => {
  it('writes one JSON object per line to the sink, with the level by name', () => {
    const lines: string[] = [];
    const logger = createBrokerLogger('info', (line) => lines.push(line));

    logger.child({ connection: 'c1', peer: '127.0.0.1:5555' }).info({ replyCode: 320 }, 'closing connection');

    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(false);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'info',
      msg: 'closing connection',
      connection: 'c1',
      peer: '127.0.0.1:5555',
      replyCode: 320,
    });
  });

  it.each([
    ['error', ['error']],
    ['warn', ['error', 'warn']],
    ['info', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
    ['silent', []],
  ] as const)('at %s writes and enables only %j', (level, written) => {
    const lines: string[] = [];
    const logger = createBrokerLogger(level, (line) => lines.push(line));

    for (const name of ['error', 'warn', 'info', 'debug'] as const) logger[name](name);

    expect(lines.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(written);
    expect((['error', 'warn', 'info', 'debug'] as const).filter((name) => logger.isLevelEnabled(name))).toEqual(written);
  });
});

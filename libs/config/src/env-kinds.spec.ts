import type { z } from 'zod';
import {
  amqpUrlKind,
  diskFreeLimitKind,
  fractionOrCountKind,
  hostKind,
  integerKind,
  listenHostKind,
  logLevelKind,
  pathKind,
  portKind,
} from './env-kinds.js';

/** The parsed value, or `'rejected'`. */
function parse(kind: z.ZodType, text: string): unknown {
  const result = kind.safeParse(text);
  return result.success ? result.data : 'rejected';
}

describe('env kinds', () => {
  it.each([
    ['80', 80],
    ['0', 0],
    ['65535', 65535],
    ['05672', 5672],
    ['', 'rejected'],
    ['0x50', 'rejected'],
    ['65536', 'rejected'],
    ['-1', 'rejected'],
    [' 80', 'rejected'],
    ['80 ', 'rejected'],
    ['+80', 'rejected'],
    ['8e1', 'rejected'],
    ['80.0', 'rejected'],
    ['١٢٣', 'rejected'],
    ['99999999999999999999999', 'rejected'],
  ])('port %j → %j', (text, expected) => {
    expect(parse(portKind(), text)).toBe(expected);
  });

  it.each([
    ['1', 1],
    ['10', 10],
    ['0', 'rejected'],
    ['11', 'rejected'],
    ['', 'rejected'],
    ['1.5', 'rejected'],
    ['0x5', 'rejected'],
  ])('integer from 1 to 10: %j → %j', (text, expected) => {
    expect(parse(integerKind(1, 10), text)).toBe(expected);
  });

  it.each([
    ['0.4', 0.4],
    ['1', 1],
    ['.5', 0.5],
    ['1.0', 1],
    ['1073741824', 1073741824],
    ['0', 'rejected'],
    ['0.0', 'rejected'],
    ['1.5', 'rejected'],
    ['-0.4', 'rejected'],
    ['', 'rejected'],
    ['lots', 'rejected'],
    ['1e9', 'rejected'],
    ['0x10', 'rejected'],
    ['Infinity', 'rejected'],
  ])('fraction or count %j → %j', (text, expected) => {
    expect(parse(fractionOrCountKind(), text)).toBe(expected);
  });

  it.each([
    ['info', 'info'],
    ['DEBUG', 'debug'],
    ['Warn', 'warn'],
    ['error', 'error'],
    ['verbose', 'rejected'],
    ['silent', 'rejected'],
    ['', 'rejected'],
    [' info', 'rejected'],
  ])('log level %j → %j', (text, expected) => {
    expect(parse(logLevelKind(), text)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['broker.example.com', 'broker.example.com'],
    ['', 'rejected'],
    ['bad host!', 'rejected'],
    ['http://x', 'rejected'],
  ])('host %j → %j', (text, expected) => {
    expect(parse(hostKind(), text)).toBe(expected);
  });

  it.each([
    ['', undefined],
    ['0.0.0.0', '0.0.0.0'],
    ['bad host!', 'rejected'],
  ])('listen host %j → %j', (text, expected) => {
    expect(parse(listenHostKind(), text)).toBe(expected);
  });

  it.each([
    ['./data', './data'],
    [' /var/lib/warren ', '/var/lib/warren'],
    ['', 'rejected'],
    [' ', 'rejected'],
  ])('path %j → %j', (text, expected) => {
    expect(parse(pathKind(), text)).toBe(expected);
  });

  it.each([
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:guest@127.0.0.1:5672'],
    ['amqps://broker.example.com/vhost', 'amqps://broker.example.com/vhost'],
    ['http://127.0.0.1:5672', 'rejected'],
    ['127.0.0.1:5672', 'rejected'],
    ['', 'rejected'],
  ])('AMQP URL %j → %j', (text, expected) => {
    expect(parse(amqpUrlKind(), text)).toBe(expected);
  });

  it.each([
    ['52428800', 52_428_800],
    ['0', 0],
    ['50MB', 50_000_000],
    ['50M', 50 * 1024 ** 2],
    ['50MiB', 50 * 1024 ** 2],
    ['1GB', 1e9],
    ['1G', 1024 ** 3],
    ['1GiB', 1024 ** 3],
    ['2TB', 2e12],
    ['512kB', 512_000],
    ['512k', 512 * 1024],
    ['512KiB', 512 * 1024],
    ['mem_relative:1.0', 8 * 1024 ** 3],
    ['mem_relative:1.5', 12 * 1024 ** 3],
    ['mem_relative:.5', 4 * 1024 ** 3],
    ['mem_relative:2', 16 * 1024 ** 3],
    ['', 'rejected'],
    ['50 MB', 'rejected'],
    ['50mb', 'rejected'],
    ['50XB', 'rejected'],
    ['-1', 'rejected'],
    ['1.5GB', 'rejected'],
    ['0x10', 'rejected'],
    ['mem_relative:', 'rejected'],
    ['mem_relative:-1', 'rejected'],
    ['mem_relative:1e3', 'rejected'],
    ['relative:1.0', 'rejected'],
    ['9999999TB', 'rejected'],
  ])('disk free limit %j → %j (8 GiB of RAM)', (text, expected) => {
    expect(parse(diskFreeLimitKind(8 * 1024 ** 3), text)).toBe(expected);
  });
});

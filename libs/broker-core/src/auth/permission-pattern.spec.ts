import { PermissionStore } from './permission-store.js';
import { compilePermissionPattern, compileTopicPattern, permits, PermissionPatternError } from './permission-pattern.js';
import { VhostAccess } from './vhost-access.js';

describe('permission patterns (RabbitMQ semantics)', () => {
  it.each<[string, 'exchange' | 'queue', string, boolean]>([
    ['.*', 'queue', 'anything', true],
    ['.*', 'exchange', '', true],
    ['', 'queue', 'q', false],
    ['', 'exchange', '', false],
    ['^$', 'queue', 'q', false],
    ['^$', 'exchange', '', false],
    ['^bob\\.', 'queue', 'bob.q', true],
    ['^bob\\.', 'queue', 'other', false],
    ['^bob\\.', 'queue', 'xbob.q', false],
    // Unanchored search, as re:run: a pattern without ^ matches anywhere in the name.
    ['bob', 'queue', 'mybobqueue', true],
    ['^amq\\.default$', 'exchange', '', true],
    ['^amq\\.direct$', 'exchange', 'amq.direct', true],
  ])('%s allows %s %p: %s', (pattern, kind, name, expected) => {
    expect(permits(compilePermissionPattern(pattern), kind, name)).toBe(expected);
  });

  it('rejects invalid and over-long regexes', () => {
    expect(() => compilePermissionPattern('(')).toThrow(PermissionPatternError);
    expect(() => compilePermissionPattern('a'.repeat(513))).toThrow(PermissionPatternError);
  });

  it('expands {username}, {vhost} and {client_id} in topic patterns, unescaped', () => {
    const regex = compileTopicPattern('^{username}\\.{vhost}\\.{client_id}$', { username: 'bob', vhost: 'v1', client_id: 'c.1' });
    expect(regex.test('bob.v1.c.1')).toBe(true);
    expect(regex.test('bob.v1.cx1')).toBe(true);
    expect(regex.test('alice.v1.c.1')).toBe(false);
    expect(compileTopicPattern('', { username: 'bob', vhost: '/' }).test('')).toBe(true);
  });
});

describe('VhostAccess', () => {
  it('follows permission changes without reconnecting (the store generation)', async () => {
    const store = new PermissionStore();
    const access = new VhostAccess(store, 'bob', '/');
    expect(access.isVhostAllowed).toBe(false);
    expect(() => access.checkPublish('amq.direct')).toThrow("access to exchange 'amq.direct' in vhost '/' refused for user 'bob'");
    await store.set('bob', '/', { configure: '', write: '^amq\\.direct$', read: '' });
    expect(access.isVhostAllowed).toBe(true);
    expect(() => access.checkPublish('amq.direct')).not.toThrow();
    expect(() => access.checkPublish('')).toThrow("access to exchange 'amq.default' in vhost '/' refused for user 'bob'");
    await store.clear('bob', '/');
    expect(() => access.checkPublish('amq.direct')).toThrow('ACCESS_REFUSED');
  });

  it('checks topic permissions only where some are set', async () => {
    const store = new PermissionStore();
    await store.set('bob', '/', { configure: '.*', write: '.*', read: '.*' });
    await store.setTopic('bob', '/', 'amq.topic', { write: '^{username}\\.', read: '.*' });
    const access = new VhostAccess(store, 'bob', '/');
    expect(() => access.checkTopic('write', 'amq.topic', 'bob.x')).not.toThrow();
    expect(() => access.checkTopic('write', 'amq.topic', 'alice.x')).toThrow(
      "ACCESS_REFUSED - write access to topic 'alice.x' in exchange 'amq.topic' in vhost '/' refused for user 'bob'",
    );
    expect(() => access.checkTopic('write', 'other.topic', 'alice.x')).not.toThrow();
  });

  it('rejects a bad regex when granted', async () => {
    await expect(new PermissionStore().set('bob', '/', { configure: '(', write: '', read: '' })).rejects.toThrow(
      'invalid permission regex',
    );
  });
});

import { Message } from '@app/broker-core';
import { withTrustedAddress } from './management-rpc-consumer.js';

function from(remoteAddress: string | undefined): Message {
  const message = new Message('warren.requests', 'management.overview', Buffer.alloc(2), {}, Buffer.alloc(0));
  message.origin = { remoteAddress, userName: 'guest' };
  return message;
}

describe('withTrustedAddress', () => {
  const claim = { remote_address: '127.0.0.1', auth: { username: 'guest', password: 'guest', remote_address: '127.0.0.1' } };

  it('lets a loopback publisher (the admin API) vouch for the HTTP client address', () => {
    expect(withTrustedAddress(claim, from('::ffff:127.0.0.1'))).toEqual(claim);
  });

  it('replaces what a remote publisher claims with its own address', () => {
    expect(withTrustedAddress(claim, from('192.0.2.7'))).toEqual({
      remote_address: '192.0.2.7',
      auth: { username: 'guest', password: 'guest', remote_address: '192.0.2.7' },
    });
  });

  it('trusts nothing from a message without an origin', () => {
    expect(withTrustedAddress(claim, new Message('', 'k', Buffer.alloc(2), {}, Buffer.alloc(0))).remote_address).toBeUndefined();
  });
});

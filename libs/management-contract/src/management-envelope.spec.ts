import {
  decodeManagementReply,
  decodeManagementRequest,
  encodeManagementReply,
  encodeManagementRequest,
  ManagementFormatError,
} from './management-envelope.js';
import { ManagementPattern } from './management-patterns.js';

describe('management envelope', () => {
  it('round-trips a request and a reply', () => {
    const request = {
      id: 'r1',
      pattern: ManagementPattern.QueuesGet,
      caller: { username: 'ops', remote_address: '::1' },
      data: { vhost: '/', name: 'q' },
    };
    expect(decodeManagementRequest(encodeManagementRequest(request))).toEqual(request);
    expect(decodeManagementReply(encodeManagementReply({ id: 'r1', response: [1] }))).toEqual({ id: 'r1', response: [1] });
    const err = { status: 404, error: 'Object Not Found', reason: 'Not Found' };
    expect(decodeManagementReply(encodeManagementReply({ id: 'r1', err }))).toEqual({ id: 'r1', err });
  });

  it('keeps nothing but the caller name and address (no password field survives decoding)', () => {
    const body = { id: 'r', pattern: 'management.overview', caller: { username: 'u', password: 'p' }, data: {} };
    expect(decodeManagementRequest(Buffer.from(JSON.stringify(body))).caller).toEqual({ username: 'u', remote_address: undefined });
  });

  it.each([
    ['not JSON', '{"id":', 'not JSON'],
    ['not an object', '[1]', 'not a JSON object'],
    ['no id', '{"pattern":"management.overview","caller":{"username":"u"}}', "'id'"],
    ['an unknown pattern', '{"id":"1","pattern":"management.nope","caller":{"username":"u"}}', "unknown pattern 'management.nope'"],
    ['no caller', '{"id":"1","pattern":"management.overview"}', "'caller.username'"],
    ['a bad address', '{"id":"1","pattern":"management.overview","caller":{"username":"u","remote_address":7}}', 'remote_address'],
    ['array data', '{"id":"1","pattern":"management.overview","caller":{"username":"u"},"data":[]}', "'data'"],
  ])('refuses a request with %s', (_name, text, message) => {
    expect(() => decodeManagementRequest(Buffer.from(text))).toThrow(ManagementFormatError);
    expect(() => decodeManagementRequest(Buffer.from(text))).toThrow(message);
  });

  it('refuses a reply whose err is not a failure', () => {
    expect(() => decodeManagementReply(Buffer.from('{"id":"1","err":"boom"}'))).toThrow(ManagementFormatError);
  });
});

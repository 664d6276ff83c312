import { TypedFieldValue } from '@app/codec';
import { ChannelError } from '../amqp-error.js';
import { parseQueueArguments } from './queue-arguments.js';

describe('parseQueueArguments', () => {
  it('parses every supported argument', () => {
    expect(
      parseQueueArguments('q', '/', {
        'x-message-ttl': 1000,
        'x-expires': new TypedFieldValue('l', 5000),
        'x-max-length': 10,
        'x-max-length-bytes': 1024,
        'x-overflow': 'reject-publish',
        'x-dead-letter-exchange': 'dlx',
        'x-dead-letter-routing-key': 'dead',
        'x-max-priority': new TypedFieldValue('b', 10),
        'x-delivery-limit': 3,
        'x-single-active-consumer': true,
      }),
    ).toEqual({
      messageTtl: 1000,
      expires: 5000,
      maxLength: 10,
      maxLengthBytes: 1024,
      overflow: 'reject-publish',
      deadLetterExchange: 'dlx',
      deadLetterRoutingKey: 'dead',
      maxPriority: 10,
      deliveryLimit: 3,
      singleActiveConsumer: true,
    });
  });

  it('defaults x-overflow to drop-head', () => {
    expect(parseQueueArguments('q', '/', {}).overflow).toBe('drop-head');
  });

  it.each([
    [{ 'x-max-length': -1 }, "invalid arg 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}"],
    [{ 'x-max-length': 'ten' }, "invalid arg 'x-max-length' for queue 'q' in vhost '/': {unacceptable_type,longstr}"],
    [{ 'x-message-ttl': 1.5 }, "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {unacceptable_type,double}"],
    [
      { 'x-single-active-consumer': 'yes' },
      "invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': {unacceptable_type,longstr}",
    ],
    [{ 'x-overflow': 'bogus' }, `invalid arg 'x-overflow' for queue 'q' in vhost '/': {unacceptable_value,<<"bogus">>}`],
    [{ 'x-expires': 0 }, "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}"],
    [{ 'x-max-priority': 300 }, "invalid arg 'x-max-priority' for queue 'q' in vhost '/': {value_too_large,300,255}"],
    [{ 'x-dead-letter-exchange': 5 }, "invalid arg 'x-dead-letter-exchange' for queue 'q' in vhost '/': {unacceptable_type,signedint}"],
    [
      { 'x-dead-letter-routing-key': 'k' },
      "invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': {dead_letter_exchange_not_set}",
    ],
  ])('refuses %p with 406', (args, text) => {
    try {
      parseQueueArguments('q', '/', args);
      throw new Error('expected a ChannelError');
    } catch (error) {
      expect(error).toBeInstanceOf(ChannelError);
      expect((error as ChannelError).replyCode).toBe(406);
      expect((error as ChannelError).replyText).toBe(`PRECONDITION_FAILED - ${text}`);
    }
  });
});

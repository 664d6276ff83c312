import { renderExplanation } from './explain-command.js';

describe('warren explain output', () => {
  it('shows queues with their paths through exchange-to-exchange bindings', () => {
    const text = renderExplanation('x.topic', {
      routed: true,
      exchanges: ['x.topic', 'x.hop'],
      queues: [
        {
          name: 'q.hop',
          vhost: '/',
          paths: [
            [
              { kind: 'binding', source: 'x.topic', destination: 'x.hop', destination_type: 'exchange', routing_key: '#.orders' },
              { kind: 'binding', source: 'x.hop', destination: 'q.hop', destination_type: 'queue', routing_key: '' },
            ],
          ],
        },
      ],
    });
    expect(text).toBe(
      [
        "exchange 'x.topic': routed",
        'exchanges visited: x.topic, x.hop',
        'queues:',
        '  q.hop',
        "    via x.topic --[binding '#.orders']--> exchange x.hop  then  x.hop --[binding '']--> q.hop",
        '',
      ].join('\n'),
    );
  });

  it('prints fields it does not know (non-matching bindings, dead-letter targets) under their own names', () => {
    const text = renderExplanation('x.direct', {
      routed: false,
      queues: [],
      exchanges: [''],
      unmatched: [{ source: 'x.direct', destination: 'q.a', routing_key: 'red', reason: "routing key 'blue' is not 'red'" }],
      dead_letter_targets: { 'q.a': 'dlx' },
      alternate_exchange: 'ae',
    });
    expect(text).toContain("exchange 'x.direct': NOT routed");
    expect(text).toContain('exchanges visited: (AMQP default)');
    expect(text).toContain('queues: (none)');
    expect(text).toContain("unmatched:\n  x.direct --['red']--> q.a  (reason=routing key 'blue' is not 'red')");
    expect(text).toContain('dead_letter_targets: {"q.a":"dlx"}');
    expect(text).toContain('alternate_exchange: ae');
  });
});

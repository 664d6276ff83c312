import { cellText, renderRows, renderTable, renderTsv, valueAt } from './output-format.js';

describe('output formats', () => {
  const rows = [
    { name: 'orders', messages: 12, queue: { vhost: '/' }, tags: ['a', 'b'] },
    { name: 'a-much-longer-name', messages: 3, queue: { vhost: 'prod' }, tags: [] },
  ];
  const columns = [
    { header: 'name', path: 'name' },
    { header: 'messages', path: 'messages' },
    { header: 'vhost', path: 'queue.vhost' },
    { header: 'tags', path: 'tags' },
  ];

  it('aligns table columns, numbers to the right', () => {
    expect(renderTable(rows, columns)).toBe(
      ['name                messages  vhost  tags', 'orders                    12  /      a,b', 'a-much-longer-name         3  prod'].join(
        '\n',
      ) + '\n',
    );
    expect(renderTable([], columns)).toBe('(none)\n');
  });

  it('writes TSV with a heading, tabs and newlines in values replaced', () => {
    expect(renderTsv([{ name: 'x\ty\nz', messages: 1 }], columns.slice(0, 2))).toBe('name\tmessages\nx y z\t1\n');
  });

  it('prints JSON whole, and leaves optional columns out when no row has them', () => {
    expect(JSON.parse(renderRows(rows, columns, 'json'))).toEqual(rows);
    const withRate = [...columns, { header: 'rate', path: 'message_stats.publish_details.rate', optional: true }];
    expect(renderRows(rows, withRate, 'table').split('\n')[0]).not.toContain('rate');
    expect(renderRows([{ ...rows[0], message_stats: { publish_details: { rate: 2.456 } } }], withRate, 'tsv')).toContain('\t2.46\n');
  });

  it('reads dotted paths and renders cells', () => {
    expect(valueAt({ a: { b: 1 } }, 'a.b')).toBe(1);
    expect(valueAt({ a: 1 }, 'a.b')).toBeUndefined();
    expect(cellText({ x: 1 })).toBe('{"x":1}');
    expect(cellText(null)).toBe('');
    expect(cellText(false)).toBe('false');
  });
});

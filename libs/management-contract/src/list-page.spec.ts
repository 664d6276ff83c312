import { InvalidListQueryError, pageList } from './list-page.js';

describe('pageList (RabbitMQ list query parameters)', () => {
  const items = [{ name: 'b.two', messages: 5 }, { name: 'a.one', messages: 10 }, { name: 'c.three' }, { name: 'B.four', messages: 1 }];
  const names = (result: unknown) =>
    (Array.isArray(result) ? result : (result as { items: unknown[] }).items).map((item: any) => item.name);

  it('filters by a case-insensitive substring, or a regex', () => {
    expect(names(pageList(items, { name: 'b.' }))).toEqual(['b.two', 'B.four']);
    expect(names(pageList(items, { name: '^[ab]\\.', use_regex: true }))).toEqual(['b.two', 'a.one']);
    expect(() => pageList(items, { name: '(', use_regex: true })).toThrow(InvalidListQueryError);
  });

  it('sorts by a key (missing values first) and reverses', () => {
    expect(names(pageList(items, { sort: 'messages' }))).toEqual(['c.three', 'B.four', 'b.two', 'a.one']);
    expect(names(pageList(items, { sort: 'messages', sort_reverse: true }))).toEqual(['a.one', 'b.two', 'B.four', 'c.three']);
  });

  it('pages only when asked, with RabbitMQ’s counts', () => {
    expect(pageList(items, { page: 2, page_size: 3, sort: 'name' })).toEqual({
      filtered_count: 4,
      item_count: 1,
      items: [{ name: 'c.three' }],
      page: 2,
      page_count: 2,
      page_size: 3,
      total_count: 4,
    });
    expect(pageList(items, { page: 1, name: 'zzz' })).toMatchObject({ filtered_count: 0, item_count: 0, page_count: 1, page_size: 100 });
    expect(Array.isArray(pageList(items, {}))).toBe(true);
  });
});

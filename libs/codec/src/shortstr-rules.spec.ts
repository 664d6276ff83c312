import { shortstrPreview, shortstrRefusal, wellFormed } from './shortstr-rules.js';

describe('shortstr rules for names from JSON', () => {
  it.each([
    ['', undefined],
    ['orders', undefined],
    ['🐇', undefined],
    ['€'.repeat(85), undefined],
    ['x'.repeat(255), undefined],
    ['x'.repeat(256), 'is longer than 255 bytes (256)'],
    ['€'.repeat(86), 'is longer than 255 bytes (258)'],
    ['\ud800', 'is not valid UTF-8 (it holds a lone surrogate)'],
    ['a\udc00', 'is not valid UTF-8 (it holds a lone surrogate)'],
    ['\ud83d\udc07\ud83d', 'is not valid UTF-8 (it holds a lone surrogate)'],
  ])('%j → %s', (name, refusal) => {
    expect(shortstrRefusal(name)).toBe(refusal);
  });

  it('maps a name to the string its UTF-8 bytes decode to', () => {
    for (const name of ['plain', '🐇', 'a\ud800b', '\udfff']) expect(wellFormed(name)).toBe(Buffer.from(name).toString('utf8'));
  });

  it('previews a name short and printable', () => {
    expect(shortstrPreview('a\ud800')).toBe('a\\ud800');
    expect(shortstrPreview('x'.repeat(300))).toBe('x'.repeat(40) + '…');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeMarkdownText,
  escapeMarkup,
  escapeXml,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  markdownCell,
  markdownCode,
} from '../../reports/format.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [0.42, '0.42 s'],
    [9.996, '10 s'],
    [12.34, '12.3 s'],
    [59.96, '1 min'],
    [252, '4 min 12 s'],
    [600, '10 min'],
    [3599.6, '1 h'],
    [7500, '2 h 05 min'],
    [86400, '24 h'],
    [-90, '-1 min 30 s'],
  ])('%s s reads "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('never prints a carried unit such as "60 s" or "60 min"', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (seconds) => {
        expect(formatDuration(seconds)).not.toMatch(/\b60 (s|min)\b/);
      }),
    );
  });
});

describe('formatClock, formatBytes, formatCount', () => {
  it('prints run clocks with milliseconds only when there are some', () => {
    expect(formatClock(3600)).toBe('01:00:00');
    expect(formatClock(2701.452118)).toBe('00:45:01.452');
    expect(formatClock(86400)).toBe('24:00:00');
  });

  it('prints binary byte units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(21_474_836_480)).toBe('20.0 GiB');
    expect(formatBytes(612_032_118_784)).toBe('570 GiB');
  });

  it('groups thousands with a thin space', () => {
    expect(formatCount(1_842_117)).toBe('1\u2009842\u2009117');
    expect(formatCount(999)).toBe('999');
  });
});

describe('escaping', () => {
  it('leaves no markup character unescaped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeMarkup(text);
        expect(escaped).not.toMatch(/[<>"']/);
        expect(escaped.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });

  it('replaces characters XML 1.0 forbids', () => {
    expect(escapeXml('a\u0000b\u001bc\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
  });

  it('keeps a Markdown code span closed around backticks', () => {
    expect(markdownCode('plain')).toBe('`plain`');
    expect(markdownCode('a `b` c')).toBe('``a `b` c``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
  });

  it('escapes Markdown punctuation and table pipes', () => {
    expect(escapeMarkdownText('vm_*1* [x] a|b')).toBe('vm\\_\\*1\\* \\[x\\] a\\|b');
    expect(markdownCell('`a|b`')).toBe('`a\\|b`');
    expect(markdownCell(escapeMarkdownText('a|b'))).toBe('a\\|b');
  });
});

import { expect, test } from 'vitest';
import { IBUG_FLIP } from '../src/index';

test('IBUG_FLIP is the FORMATS.md mirror: an involution with the listed fixed points', () => {
  expect(IBUG_FLIP).toHaveLength(68);
  for (let i = 0; i < 68; i++) expect(IBUG_FLIP[IBUG_FLIP[i]]).toBe(i);
  const fixed1Based = IBUG_FLIP.flatMap((j, i) => (j === i ? [i + 1] : []));
  expect(fixed1Based).toEqual([9, 28, 29, 30, 31, 34, 52, 58, 63, 67]);
  expect(IBUG_FLIP[0]).toBe(16); // 1 ↔ 17
  expect(IBUG_FLIP[36]).toBe(45); // outer eye corners 37 ↔ 46
  expect(IBUG_FLIP[60]).toBe(64); // inner mouth corners 61 ↔ 65
  expect(Object.isFrozen(IBUG_FLIP)).toBe(true);
});

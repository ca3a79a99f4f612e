// io/ cannot import the layout (it sits below it), so its default read cap is its own constant:
// it must stay the largest small file a drive holds (snapshot.json), or a whole-file read of one
// would be refused.
import { expect, it } from 'vitest';
import { MAX_SNAPSHOT_JSON_BYTES } from '../../src/layout/format.js';
import { DEFAULT_MAX_READ_BYTES } from '../../src/io/read-regular.js';

it('the default whole-file read cap equals the snapshot.json cap', () => {
  expect(DEFAULT_MAX_READ_BYTES).toBe(MAX_SNAPSHOT_JSON_BYTES);
});

// The verify report as text: a damaged snapshot's chain-dependants finding lists the files of
// later snapshots whose content is damaged, at most as many as the finding carries, then a count.
import { describe, it, expect } from 'vitest';
import { renderVerifyReport } from '../../src/ui/render-verify.js';
import type { DriveReport } from '../../src/core/findings.js';

const F = '2030-01-01T000000Z';
const I = '2030-01-02T000000Z';

describe('renderVerifyReport', () => {
  it('lists the dependant files a finding names, then how many more there are', () => {
    const report: DriveReport = {
      drive: { id: 'x', name: 'A' }, path: '/d', leftovers: [], ok: false,
      snapshots: [{
        id: F, status: 'damaged', deep: true, bytesRead: 0, findings: [{
          severity: 'damage', code: 'chain-dependants', message: `1 later snapshot(s) build on ${F}`, dependants: [I],
          dependantFiles: [{ snapshot: I, path: 'src/a' }, { snapshot: I, path: 'src/b\nc' }], dependantFilesTotal: 5,
        }],
      }],
    };
    const text = renderVerifyReport(report, 1);
    expect(text).toContain(`    DAMAGE: 1 later snapshot(s) build on ${F}\n      ${I}  src/a\n      ${I}  src/b\\nc\n      … and 3 more (--json lists the first 2)\n`);
  });
});

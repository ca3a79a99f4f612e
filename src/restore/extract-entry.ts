// What happens to each member as the tar reader reaches it: admitted (admit-member.ts) or
// refused, checked against the manifest, then created by its type — a folder now, a regular
// file written as its content streams in (extract-file.ts), links kept for last (extract-links.ts).
import { hardlinkTarget } from '../core/member-path.js';
import type { TarEntry, TarReaderEvents } from '../layout/tar-reader.js';
import { typeDisagreement } from '../verify/deep-check.js';
import { admitMember } from './admit-member.js';
import { finishFile, maskMode, startFile, writeFileData } from './extract-file.js';
import type { ExtractState } from './extract-state.js';

/** The member types a restore creates (others, such as devices and FIFOs, never are). File-like types other than File are damage (see typeDisagreement). */
const MEMBER_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * The tar reader's callbacks for one extraction. Every member is handled synchronously, inside
 * them: no promise or closure per member (they cost time and garbage over hundreds of
 * thousands of files).
 */
export function memberHandlers(state: ExtractState): TarReaderEvents {
  return {
    entry: (e) => {
      state.current = { kind: 'skip' };
      try {
        startMember(state, e);
      } catch (err) {
        // One bad member (a name too long for this filesystem, a clash) never aborts the rest.
        state.refuse(e.path, `cannot be created here: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    },
    data: (chunk) => writeFileData(state, chunk),
    entryEnd: () => finishFile(state),
  };
}

function startMember(state: ExtractState, e: TarEntry): void {
  const { opts, report } = state;
  const admitted = admitMember(state, e);
  if (admitted === undefined) return;
  const { path, row } = admitted;
  if (opts.select && !opts.select(path)) {
    if (e.type === 'Directory') state.kinds.set(path, 'dir');
    return;
  }
  const type = e.type;
  if (!MEMBER_TYPES.has(type)) return void state.refuse(path, `${type} entries (devices, FIFOs, ...) are never created`);
  state.kinds.set(path, type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : type === 'Link' ? 'hardlink' : 'file');
  // The manifest is the truth (and what verify --deep compares with): a member it does not
  // list, or lists as another type or with another link target, is damage, never created.
  if (row < 0) return void report.damaged.push({ path, reason: 'in the tarball but not in the manifest' });
  const wrongType = typeDisagreement(opts.manifest.type(row), type);
  if (wrongType) return void report.damaged.push({ path, reason: wrongType });
  if ((type === 'SymbolicLink' || type === 'Link') && (e.linkpath ?? '') !== (opts.manifest.link(row) ?? '')) {
    return void report.damaged.push({ path, reason: `link target is ${JSON.stringify(e.linkpath ?? '')}, manifest says ${JSON.stringify(opts.manifest.link(row) ?? '')}` });
  }
  if (type === 'Directory') {
    state.ensureDir(path);
    state.folders.push({ path, mode: maskMode(e.mode, opts.keepSpecialBits), mtime: e.mtime });
    report.dirs++;
  } else if (type === 'SymbolicLink') {
    state.symlinks.push({ path, target: e.linkpath ?? '', entry: e });
  } else if (type === 'Link') {
    const target = hardlinkTarget(e.linkpath ?? '');
    if (target === undefined) return void state.refuse(path, `hard link to ${JSON.stringify(e.linkpath)}, outside the restored tree`);
    state.links.push({ path, target, entry: e });
  } else {
    startFile(state, path, row, e);
  }
}

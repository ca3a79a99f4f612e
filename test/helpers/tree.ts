// Builds real folder trees from a compact description, and reads them back for comparison.
import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type Node =
  | string // file content
  | Buffer
  | { file: string | Buffer; mode?: number; mtime?: number }
  | { symlink: string }
  | { hardlink: string } // path relative to the tree root
  | { dir: Tree; mode?: number; mtime?: number };
export interface Tree {
  [name: string]: Node;
}

export async function makeTree(root: string, tree: Tree): Promise<void> {
  await mkdir(root, { recursive: true });
  const dirTimes: [string, number][] = [];
  const links: [string, string][] = [];
  const walk = async (dir: string, t: Tree) => {
    for (const [name, node] of Object.entries(t)) {
      const p = join(dir, name);
      if (typeof node === 'string' || Buffer.isBuffer(node)) await writeFile(p, node);
      else if ('file' in node) {
        await writeFile(p, node.file);
        if (node.mode !== undefined) await chmod(p, node.mode);
        if (node.mtime !== undefined) await utimes(p, node.mtime, node.mtime);
      } else if ('symlink' in node) await symlink(node.symlink, p);
      else if ('hardlink' in node) links.push([join(root, node.hardlink), p]);
      else {
        await mkdir(p, { recursive: true });
        await walk(p, node.dir);
        if (node.mode !== undefined) await chmod(p, node.mode);
        if (node.mtime !== undefined) dirTimes.push([p, node.mtime]);
      }
    }
  };
  await walk(root, tree);
  for (const [target, p] of links) {
    await mkdir(dirname(p), { recursive: true });
    await link(target, p);
  }
  for (const [p, t] of dirTimes.reverse()) await utimes(p, t, t);
}

export interface Snapshot {
  [path: string]: { type: string; mode: number; mtime: number; content?: string; target?: string; nlink?: number };
}

/**
 * Everything a faithful restore must reproduce: type, mode, mtime (s), content, link target.
 * `hashContent`: the content as its SHA-256 (hex), for trees with files too large to hold as text.
 */
export async function readTree(root: string, opts: { dirMtimes?: boolean; hashContent?: boolean } = {}): Promise<Snapshot> {
  const out: Snapshot = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(p);
      const base = { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', target: await readlink(p), mode: 0, mtime: 0 };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', ...base, mtime: opts.dirMtimes ? base.mtime : 0 };
        await walk(p, r);
      } else {
        const data = await readFile(p);
        out[r] = { type: 'file', ...base, content: opts.hashContent ? createHash('sha256').update(data).digest('hex') : data.toString('base64'), nlink: st.nlink };
      }
    }
  };
  await walk(root, '');
  return out;
}

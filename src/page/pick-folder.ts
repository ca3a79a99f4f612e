// The files of the folder the user gave the page: from the folder picker (<input type=file
// webkitdirectory>, each file with its webkitRelativePath) or dropped on the page (the
// FileSystemEntry tree walked here). Both give paths starting with the picked folder's name.
import type { Picked } from './drive-tree.js';

export function pickedFromInput(files: FileList): Picked<Blob>[] {
  return [...files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

export async function pickedFromDrop(items: DataTransferItemList): Promise<Picked<Blob>[]> {
  // The entries must be taken before the first await: the list is emptied after the event.
  const entries = [...items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const out: Picked<Blob>[] = [];
  for (const e of entries) await walk(e, e.name, out);
  return out;
}

async function walk(entry: FileSystemEntry, path: string, out: Picked<Blob>[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ path, file });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry as FileSystemDirectoryEntry)) await walk(child, `${path}/${child.name}`, out);
  }
}

/** readEntries gives a folder's entries in batches (100 in Chromium) until an empty one. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

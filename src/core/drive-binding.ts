// Which drive a rotation name means (issue 17 §3). A drive is bound by its id, never by the name
// its drive.json claims: the config's rotation entry records the id, and this host's catalog
// knows every drive it labelled or used by id. A drive that carries a rotation name but is not
// the drive bound to it is "foreign": never written, never counted as a copy, until adopted.

export interface BindingFacts {
  /** The id of the drive seen. */
  id: string;
  /** The rotation entry of its name in this config: absent when the name is not in the rotation. */
  entry?: { id?: string };
  /** Another drive (another id) this host knows by that name, if any. */
  holder?: { id: string };
  /** Whether this host's catalog knows this drive (labelled here, or used here before). */
  known: boolean;
}

export type Binding =
  /** The drive bound to the name (or a drive whose name is not in the rotation, known or not). */
  | { status: 'bound' }
  /** The rotation entry has no id yet and this host knows the drive: record its id now (say so). */
  | { status: 'first' }
  /**
   * Foreign: `config`, the config binds the name to another id; `catalog`, this host knows
   * another drive by that name; `unknown`, the entry has no id yet and this host has never
   * labelled or used this drive (another user's drive, or another computer's): it is only
   * adopted explicitly (airgap adopt), never on sight.
   */
  | { status: 'foreign'; by: 'config' | 'catalog' | 'unknown'; knownId?: string };

export function bindingOf(f: BindingFacts): Binding {
  if (f.entry?.id !== undefined) return f.entry.id === f.id ? { status: 'bound' } : { status: 'foreign', by: 'config', knownId: f.entry.id };
  if (f.holder && f.holder.id !== f.id) return { status: 'foreign', by: 'catalog', knownId: f.holder.id };
  if (!f.entry) return { status: 'bound' };
  return f.known ? { status: 'first' } : { status: 'foreign', by: 'unknown' };
}

// The ways an age file can fail to open, one class each, on the project's one error hierarchy
// (core/errors.ts), so that cli/exit.ts maps them without knowing about age:
// - the key or passphrase does not open the header: a refusal (exit 4), never "damaged";
// - everything else is damage (exit 3), with a subclass that says what exactly.
// A header whose recipient stanza was itself changed is indistinguishable from a wrong key (the
// stanza simply no longer unwraps): SHA256SUMS covers the encrypted files, so a caller checks
// integrity first, without any key, and only then blames the key.
import { AirgapError, EXIT } from '../core/errors.js';

const DAMAGED_HINT = 'check the drive with sha256sum -c SHA256SUMS (no key needed), and restore from another drive';

/** Bad key or recipient text: a usage error that names the line. */
export class AgeKeyError extends AirgapError {
  constructor(message: string, hint = 'an age public key is age1… (age-keygen -y <key file> prints it); a key file holds AGE-SECRET-KEY-1… lines (age-keygen makes one)') {
    super('age-key-invalid', message, EXIT.usage, hint);
    this.name = 'AgeKeyError';
  }
}

/** No identity or passphrase given opens the file's header. */
export class AgeWrongKeyError extends AirgapError {
  constructor(
    /** The header's recipient types ('X25519', 'scrypt', …): says whether a passphrase or a key is wanted. */
    readonly stanzaTypes: string[],
    /** Whether a passphrase was among what was tried. */
    readonly triedPassphrase: boolean,
    file = 'the file',
  ) {
    const wantsPassphrase = stanzaTypes.length === 1 && stanzaTypes[0] === 'scrypt';
    const recipients = `${stanzaTypes.length} recipient${stanzaTypes.length === 1 ? '' : 's'}: ${[...new Set(stanzaTypes)].join(', ')}`;
    const message = wantsPassphrase
      ? (triedPassphrase ? `the passphrase does not open ${file}` : `${file} is encrypted with a passphrase, and none was given`)
      : (triedPassphrase && stanzaTypes.length > 0 ? `${file} is encrypted to keys (${recipients}), not to a passphrase` : `no key given opens ${file} (encrypted to ${recipients})`);
    const hint = wantsPassphrase ? 'check the passphrase' : 'give the key file used for this drive';
    super('age-wrong-key', message, EXIT.refused, `${hint} (if sha256sum -c SHA256SUMS fails too, the file is damaged instead)`);
    this.name = 'AgeWrongKeyError';
  }
}

/** The file is damaged; the subclasses say how. Thrown as such when the cause is ambiguous. */
export class AgeDamagedError extends AirgapError {
  constructor(code: string, message: string) {
    super(code, message, EXIT.damaged, DAMAGED_HINT);
    this.name = 'AgeDamagedError';
  }
}

/** Not an age v1 header, a malformed one, or one whose MAC does not match (changed after writing). */
export class AgeHeaderError extends AgeDamagedError {
  constructor(message: string, file = 'the file') {
    super('age-header-invalid', `${file}: ${message}`);
    this.name = 'AgeHeaderError';
  }
}

/** The file ends early: inside its header or nonce, or where a chunk says more must follow. */
export class AgeTruncatedError extends AgeDamagedError {
  constructor(message: string, file = 'the file') {
    super('age-truncated', `${file} is truncated: ${message}`);
    this.name = 'AgeTruncatedError';
  }
}

/** Bytes after the final chunk. */
export class AgeTrailingDataError extends AgeDamagedError {
  constructor(
    /** At least this many (a stream decryptor stops at the first of them). */
    readonly extraBytes: number,
    file = 'the file',
  ) {
    super('age-trailing-data', `${file} has data after its final chunk (at least ${extraBytes} byte${extraBytes === 1 ? '' : 's'})`);
    this.name = 'AgeTrailingDataError';
  }
}

/** A payload chunk fails authentication (a changed byte, or a cut inside the chunk), or breaks a STREAM rule. */
export class AgeChunkError extends AgeDamagedError {
  constructor(
    /** The chunk's index (chunk i holds plaintext bytes i*64 KiB and on). */
    readonly chunk: number,
    /** Where the chunk starts in the file. */
    readonly offset: number,
    why = 'fails authentication: it was changed, or the file was cut inside it',
    file = 'the file',
  ) {
    super('age-chunk-invalid', `${file}: chunk ${chunk} (at byte ${offset}) ${why}`);
    this.name = 'AgeChunkError';
  }
}

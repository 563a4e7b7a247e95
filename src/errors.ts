// Operating errors: one class, stable codes, messages that name the file, instrument
// or field and say what to do next. Programmer errors are plain assertions (assert.ts).
// Every code is documented in docs/errors.md; a test keeps the two lists equal.

export const ERROR_CODES = {
  E_NOT_BLOCK_FILE: 'the file does not start with the block flag: not a tickrec/datakit block file',
  E_TRUNCATED: 'the file is shorter than its header says: published records or the header are missing',
  E_REPLACED: 'the file at a path is no longer the one that was open: it was deleted or replaced while in use',
  E_WRONG_TYPE: 'the block type is not the one expected for this kind of record',
  E_VERSION: 'the block version is not one tickrec can read or write',
  E_CORRUPT: 'the header contradicts itself (size beyond capacity, bad lengths)',
  E_CHECKSUM: 'a checksum does not match: the bytes changed after they were written',
  E_LOCKED: 'another live process holds the data root lock',
  E_FIELD: 'a record field has a value that cannot be stored',
  E_NO_SPACE: 'the disk or a file size limit refused a write',
  E_IO: 'the operating system refused an operation on a file',
  E_USAGE: 'a command-line argument or option is not valid',
  E_CONFIG: 'the configuration is not valid',
  E_BUS: 'the message bus (NATS JetStream) refused an operation or cannot be reached',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TickrecError extends Error {
  readonly code: ErrorCode;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: ErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TickrecError';
    this.code = code;
    this.file = options.file;
  }
}

/** What to do about the system errors a user's own mistake causes (a wrong path, a folder for a file). */
const ERRNO_HINTS: Record<string, string> = {
  EACCES: 'check the permissions of the file and its folder',
  EPERM: 'check the permissions of the file and its folder',
  ENOENT: 'check that the path exists (a live file appears when its first record arrives; `tickrec tail` waits for it)',
  EISDIR: 'this is a folder: give a file inside it (e.g. <root>/rt/ticks/<EXCHG>/<CODE>.dmb), or --root for a data root',
  ENOTDIR: 'a part of the path is a file, not a folder: check the path',
  ELOOP: 'the path has a symbolic link loop: check the path',
  ENAMETOOLONG: 'the path is too long: check it',
};

/** The Node system error code of `err` (ENOENT, EISDIR...), or undefined for other errors. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && typeof (err as NodeJS.ErrnoException).syscall === 'string'
    ? code
    : undefined;
}

/** Wraps a Node system error (ENOSPC, EACCES, EFBIG...) on `file` into a TickrecError. */
export function ioError(err: unknown, file: string, doing: string): TickrecError {
  if (err instanceof TickrecError) return err;
  const sys = err as NodeJS.ErrnoException;
  const errno = sys?.code ?? 'EUNKNOWN';
  if (errno === 'ENOSPC' || errno === 'EFBIG' || errno === 'EDQUOT') {
    return new TickrecError(
      'E_NO_SPACE',
      `${file}: ${doing} failed (${errno}): the disk is full or a file size limit was hit; ` +
        'free space or raise the limit, then retry. Records already published are intact.',
      { file, cause: err },
    );
  }
  const hint = ERRNO_HINTS[errno] ?? 'check the file and the disk';
  return new TickrecError('E_IO', `${file}: ${doing} failed (${sys?.message ?? String(err)}); ${hint}.`, {
    file,
    cause: err,
  });
}

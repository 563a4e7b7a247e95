"""TickrecError: the operating errors of the Python reader, with the stable codes of docs/errors.md."""

# The codes the Python reader raises: codes of src/errors.ts (docs/errors.md), the Node
# reader's for the same cases; test/python/dtypes.test.ts checks that src defines each.
CODES = ('E_NOT_BLOCK_FILE', 'E_TRUNCATED', 'E_WRONG_TYPE', 'E_VERSION', 'E_CORRUPT', 'E_CHECKSUM', 'E_IO', 'E_USAGE', 'E_REPLACED')


class TickrecError(Exception):
    """An operating error: `code` is one of CODES (docs/errors.md), `file` the file it names (or None), `errno` the OS error of an E_IO.

    The message names the file, instrument or argument and says what to do, as the Node
    reader's messages do; the codes are the same (docs/errors.md).
    """

    def __init__(self, code, message, file=None, errno=None):
        assert code in CODES, 'unknown error code %r' % (code,)
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.file = file
        self.errno = errno


def io_error(err, file, operation):
    """An OSError of `operation` on `file` as E_IO, naming both."""
    return TickrecError('E_IO', '%s: cannot %s (%s); check the path and its permissions.' % (file, operation, err.strerror or err), file, err.errno)

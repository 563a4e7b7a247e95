// Keeps the JSON log clean of what the CTP library prints: fds 1 and 2 become pipes read by a thread each; the library's lines become log records of their own.
//
// WHY: the SDK writes to the process's stdout and stderr ("CThostFtdcUserApiImplBase::
// OnSessionDisconnected…" with printf, "eth0: Success" with perror, often in pieces), and
// its bytes landed inside tickrec's JSON log lines. Nothing can make a library write
// elsewhere, so the streams themselves are taken over:
// - redirect(streams): for each stream (1, 2) a pipe replaces the fd (dup2); the original
//   is kept (dup, close-on-exec). A thread reads the pipe and splits it into lines.
// - A line that starts with {"level": is one of tickrec's own JSON records (pino writes
//   each record with one write() call, and the kernel keeps a pipe write of up to
//   PIPE_BUF = 4096 bytes whole): it is passed on unchanged to the original stream.
//   Any other bytes are the library's: text before a record on the same line (a half-line
//   the library had not finished) is held back and completed by what follows the record.
//   Each complete foreign line becomes a record of its own, written to the original stderr:
//     {"level":40,"time":MS,"pid":PID,"source":"ctp-library","stream":"stdout"|"stderr","msg":"…"}
//   Bytes that are not UTF-8 are written as \xNN; a line longer than 4096 bytes is cut
//   into records of that size.
// - restore(): puts the original fds back, drains the pipes, emits a held half-line, joins
//   the threads. Runs at exit (atexit) too, so records written just before exit are not
//   lost. Only the main thread's environment may redirect (a worker shares the fds).
// The log line format is pino's (src/recorder/logger.ts): level 40 = warn.
#ifndef TICKREC_CTP_FOREIGN_OUTPUT_H
#define TICKREC_CTP_FOREIGN_OUTPUT_H

#include <string>

namespace tickrec_ctp {

/** Redirects the streams named (1 = stdout, 2 = stderr); idempotent per stream. "" on success, else why not. */
std::string RedirectForeignOutput(bool stdoutToo, bool stderrToo);
/** Restores the streams and flushes what is pending; idempotent. */
void RestoreForeignOutput();
/** Foreign lines turned into records so far. */
unsigned long ForeignLines();

}  // namespace tickrec_ctp

#endif

// The capture file writer: every CThostFtdcDepthMarketDataField the API delivers, appended as received, with its receive time, one file per local calendar date.
//
// FORMAT (docs/ctp.md, "Capture files"; read by src/feed/ctp/capture.ts):
//   header, 16 bytes: ASCII "TRCTPCAP", u32 LE struct size in bytes (584 for 6.7.x, 408 for
//   6.3.x: sizeof(CThostFtdcDepthMarketDataField) of the headers compiled against), u32 LE
//   format version = 1;
//   then records: u64 LE receive time (ns since the Unix epoch, CLOCK_REALTIME), then the
//   struct's bytes exactly as the API handed them over.
// RULES:
// - Append-only, one write() per record, no user-space buffer: a record the kernel took
//   survives kill -9. A torn last record (a crash inside write, a full disk) is cut back
//   to the last whole record when the file is opened again, and reported.
// - A write that fails or is short is cut back too (ftruncate to the last whole record),
//   so the file never holds a misaligned record; the failure is counted and reported once
//   per file.
// - A file of the day that exists with another struct size or version is left alone and
//   capture stops for that day (reported): two layouts never mix in one file.
// - Runs on the API's thread; a mutex guards it in case a library calls from two threads.
#ifndef TICKREC_CTP_CAPTURE_H
#define TICKREC_CTP_CAPTURE_H

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tickrec_ctp {

class CaptureWriter {
 public:
  CaptureWriter(std::string dir, size_t structBytes);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter &) = delete;
  CaptureWriter &operator=(const CaptureWriter &) = delete;

  /** Appends one record; returns a message to report ("" when there is nothing to say). */
  std::string Append(const void *field);

  uint64_t records() const { return records_; }
  uint64_t errors() const { return errors_; }
  std::string file();

 private:
  std::string Open(int day);

  std::mutex mutex_;
  std::string dir_;
  size_t structBytes_;
  std::vector<unsigned char> buf_;  // one record, allocated once
  int fd_ = -1;
  int day_ = 0;
  int64_t lastSecond_ = -1;
  uint64_t size_ = 0;  // bytes of whole records (header included) in the open file
  bool reportedError_ = false;
  std::string path_;
  uint64_t records_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace tickrec_ctp

#endif

// The capture file writer (format and rules in capture.h).

#include "capture.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace tickrec_ctp {

namespace {

const char kMagic[8] = {'T', 'R', 'C', 'T', 'P', 'C', 'A', 'P'};
const uint32_t kVersion = 1;
const size_t kHeaderBytes = 16;

void PutU32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint32_t GetU32(const unsigned char *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

bool WriteAll(int fd, const void *data, size_t n) {
  const char *p = static_cast<const char *>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string Errno() { return std::strerror(errno); }

}  // namespace

CaptureWriter::CaptureWriter(std::string dir, size_t structBytes) : dir_(std::move(dir)), structBytes_(structBytes), buf_(8 + structBytes) {}

CaptureWriter::~CaptureWriter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string CaptureWriter::file() {
  std::lock_guard<std::mutex> lock(mutex_);
  return path_;
}

std::string CaptureWriter::Open(int day) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  day_ = day;
  reportedError_ = false;
  char name[32];
  std::snprintf(name, sizeof name, "/%08d.cap", day);
  path_ = dir_ + name;
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return "capture: cannot open " + path_ + ": " + Errno() + "; ticks of this day are not captured";
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return "capture: cannot stat " + path_ + ": " + Errno();
  }
  std::string note;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t record = 8 + structBytes_;
  if (size < kHeaderBytes) {
    // New, or a header torn by a crash while the file was created: (re)write it.
    if (size > 0) note = "capture: " + path_ + " had a torn header (" + std::to_string(size) + " bytes); rewritten";
    unsigned char h[kHeaderBytes];
    std::memcpy(h, kMagic, 8);
    PutU32(h + 8, static_cast<uint32_t>(structBytes_));
    PutU32(h + 12, kVersion);
    if (::ftruncate(fd, 0) != 0 || !WriteAll(fd, h, sizeof h)) {
      std::string e = Errno();
      ::close(fd);
      return "capture: cannot write the header of " + path_ + ": " + e;
    }
    size = kHeaderBytes;
  } else {
    unsigned char h[kHeaderBytes];
    if (::pread(fd, h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) {
      std::string e = Errno();
      ::close(fd);
      return "capture: cannot read the header of " + path_ + ": " + e;
    }
    uint32_t bytes = GetU32(h + 8), version = GetU32(h + 12);
    if (std::memcmp(h, kMagic, 8) != 0 || bytes != structBytes_ || version != kVersion) {
      ::close(fd);
      return "capture: " + path_ + " exists and is not a version-1 capture of " + std::to_string(structBytes_) +
             "-byte structs (header says " + std::to_string(bytes) + " bytes, version " + std::to_string(version) +
             "); move it away: ticks of this day are not captured";
    }
    uint64_t torn = (size - kHeaderBytes) % record;
    if (torn != 0) {
      if (::ftruncate(fd, static_cast<off_t>(size - torn)) != 0) {
        std::string e = Errno();
        ::close(fd);
        return "capture: " + path_ + " ends in a torn record and cannot be cut: " + e;
      }
      size -= torn;
      note = "capture: " + path_ + " ended in a torn record (" + std::to_string(torn) + " bytes, a crash while writing); cut back to " +
             std::to_string((size - kHeaderBytes) / record) + " whole records";
    }
  }
  fd_ = fd;
  size_ = size;
  return note;
}

std::string CaptureWriter::Append(const void *field) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  std::lock_guard<std::mutex> lock(mutex_);
  std::string msg;
  if (ts.tv_sec != lastSecond_) {
    lastSecond_ = ts.tv_sec;
    time_t sec = ts.tv_sec;
    struct tm local;
    localtime_r(&sec, &local);
    int day = (local.tm_year + 1900) * 10000 + (local.tm_mon + 1) * 100 + local.tm_mday;
    if (day != day_) msg = Open(day);
  }
  if (fd_ < 0) {
    errors_++;
    return msg;
  }
  std::vector<unsigned char> &rec = buf_;  // allocated once
  for (int i = 0; i < 8; i++) rec[i] = static_cast<unsigned char>(ns >> (8 * i));
  std::memcpy(rec.data() + 8, field, structBytes_);
  if (WriteAll(fd_, rec.data(), rec.size())) {
    size_ += rec.size();
    records_++;
    return msg;
  }
  std::string e = Errno();
  errors_++;
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    // The file may now end in a partial record: stop writing to it (the reader ignores a torn tail).
    ::close(fd_);
    fd_ = -1;
  }
  if (!reportedError_) {
    reportedError_ = true;
    if (!msg.empty()) msg += "; ";
    msg += "capture: writing " + path_ + " failed: " + e + " (counted in captureErrors; reported once per file)";
  }
  return msg;
}

}  // namespace tickrec_ctp

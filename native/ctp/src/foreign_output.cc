// Foreign output of the CTP library as log records of their own (design in foreign_output.h).

#include "foreign_output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace tickrec_ctp {

namespace {

const char kOurs[] = "{\"level\":";
const size_t kLineMax = 4096;

struct Stream {
  int fd = -1;        // 1 or 2
  int saved = -1;     // the original, dup'ed
  int readEnd = -1;   // the pipe's read end
  std::thread reader;
  std::string held;   // a foreign half-line waiting for its end
  bool active = false;
};

std::mutex gMutex;      // redirect/restore
std::mutex gOutMutex;   // writes to the original stderr
Stream gStreams[3];
std::atomic<bool> gStopping{false};
std::atomic<unsigned long> gForeign{0};
bool gAtexit = false;

void WriteAll(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // nowhere left to write: drop
    p += w;
    n -= static_cast<size_t>(w);
  }
}

bool ValidUtf8(const std::string &s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 4;
    if (extra == 4 || (extra > 0 && i + extra >= n)) return false;
    for (size_t k = 1; k <= extra; k++)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

std::string JsonText(const std::string &s) {
  bool utf8 = ValidUtf8(s);
  std::string out;
  char buf[8];
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c >= 0x80 && !utf8) {
      std::snprintf(buf, sizeof buf, "\\\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void EmitForeign(Stream &s, std::string text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  long long ms = static_cast<long long>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
  std::string rec = "{\"level\":40,\"time\":" + std::to_string(ms) + ",\"pid\":" + std::to_string(getpid()) +
                    ",\"source\":\"ctp-library\",\"stream\":\"" + (s.fd == 1 ? "stdout" : "stderr") + "\",\"msg\":\"" + JsonText(text) +
                    "\"}\n";
  gForeign.fetch_add(1);
  std::lock_guard<std::mutex> lock(gOutMutex);
  WriteAll(gStreams[2].active ? gStreams[2].saved : 2, rec.data(), rec.size());
}

void PassOurs(Stream &s, const std::string &line) {
  std::lock_guard<std::mutex> lock(gOutMutex);
  WriteAll(s.saved, line.data(), line.size());
}

/** One complete line (with its '\n'). */
void Line(Stream &s, const std::string &line) {
  size_t at = line.find(kOurs);
  if (at == 0) return PassOurs(s, line);
  if (at != std::string::npos) {
    s.held += line.substr(0, at);  // a half-line of the library's, cut by our record
    return PassOurs(s, line.substr(at));
  }
  std::string text = s.held + line.substr(0, line.size() - 1);
  s.held.clear();
  EmitForeign(s, text);
}

void Read(Stream *sp) {
  Stream &s = *sp;
  std::string buf;
  char chunk[8192];
  for (;;) {
    pollfd p{s.readEnd, POLLIN, 0};
    int r = ::poll(&p, 1, 50);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (gStopping.load()) break;
      continue;
    }
    ssize_t n = ::read(s.readEnd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      Line(s, buf.substr(0, nl + 1));
      buf.erase(0, nl + 1);
    }
    if (buf.size() > kLineMax && buf.find(kOurs) == std::string::npos) {
      EmitForeign(s, s.held + buf);
      s.held.clear();
      buf.clear();
    }
  }
  if (!buf.empty()) {
    if (buf.rfind(kOurs, 0) == 0) PassOurs(s, buf);
    else s.held += buf;
  }
  if (!s.held.empty()) EmitForeign(s, s.held);
  s.held.clear();
}

void AtExit() { RestoreForeignOutput(); }

}  // namespace

std::string RedirectForeignOutput(bool stdoutToo, bool stderrToo) {
  std::lock_guard<std::mutex> lock(gMutex);
  gStopping.store(false);
  // stderr first: stdout's records are written to the original stderr.
  for (int fd : {2, 1}) {
    if ((fd == 1 && !stdoutToo) || (fd == 2 && !stderrToo)) continue;
    Stream &s = gStreams[fd];
    if (s.active) continue;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    fflush(fd == 1 ? stdout : stderr);
    int saved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (saved < 0 || ::dup2(p[1], fd) < 0) {
      std::string e = std::strerror(errno);
      ::close(p[0]);
      ::close(p[1]);
      if (saved >= 0) ::close(saved);
      return "dup2: " + e;
    }
    ::close(p[1]);
    s.fd = fd;
    s.saved = saved;
    s.readEnd = p[0];
    s.active = true;
    s.reader = std::thread(Read, &s);
  }
  if (!gAtexit) {
    gAtexit = true;
    std::atexit(AtExit);
  }
  return "";
}

void RestoreForeignOutput() {
  std::lock_guard<std::mutex> lock(gMutex);
  fflush(stdout);
  fflush(stderr);
  // Put the originals back: the pipes' last write ends close, the readers see the end
  // after draining (or, when a child process still holds one, stop after 50 ms of quiet).
  for (int fd : {1, 2}) {
    Stream &s = gStreams[fd];
    if (s.active) ::dup2(s.saved, fd);
  }
  gStopping.store(true);
  for (int fd : {1, 2}) {
    Stream &s = gStreams[fd];
    if (!s.active) continue;
    if (s.reader.joinable()) s.reader.join();
    ::close(s.readEnd);
  }
  // Closed only after both readers ended: stdout's reader writes to the original stderr.
  for (int fd : {1, 2}) {
    Stream &s = gStreams[fd];
    if (!s.active) continue;
    ::close(s.saved);
    s.saved = s.readEnd = -1;
    s.active = false;
  }
  gStopping.store(false);
}

unsigned long ForeignLines() { return gForeign.load(); }

}  // namespace tickrec_ctp

// Linked into every binary of --config=coverage (as Bazel's --custom_malloc, the one hook
// that reaches every cc_binary and cc_test link). Profiles are written in LLVM's continuous
// mode (%c): the counters are a MAP_SHARED mapping of the .profraw file, so a child that
// execs or is killed keeps what it ran, and a builder that pivots into its root still
// counts. But a forked child would then add its counts to its parent's file, where clang's
// derived counts (a region after `if (fork() == 0) { ...; _exit(); }` is parent minus
// child) come out as zero for code both sides reached. So at fork the child gets a file of
// its own: a copy of the parent's as it is now, mapped over the same counters. Only
// async-signal-safe calls: the child of a multi-threaded parent may not allocate.
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static int ParseHex(const char** p, uintptr_t* out) {
  uintptr_t v = 0;
  int digits = 0;
  for (;; ++*p, ++digits) {
    char c = **p;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + (uintptr_t)d;
  }
  *out = v;
  return digits > 0;
}

static void AppendUnsigned(char** p, unsigned long v) {
  char digits[24];
  int n = 0;
  do digits[n++] = (char)('0' + v % 10); while (v /= 10);
  while (n) *(*p)++ = digits[--n];
}

// sendfile, not read and write: tests that stop a helper at its first write (to send the
// builder's pid) must not stop it here.
static int CopyFile(int from, int to) {
  for (;;) {
    ssize_t n = sendfile(to, from, NULL, 1 << 30);
    if (n == 0) return 0;
    if (n < 0) return -1;
  }
}

// One line of /proc/self/maps: "start-end perms offset dev inode path". Remaps it onto a
// copy of its file when the path is a .profraw file mapped shared and writable.
static void RemapLine(const char* line) {
  uintptr_t start, end, offset;
  const char* p = line;
  if (!ParseHex(&p, &start) || *p++ != '-' || !ParseHex(&p, &end) || *p++ != ' ') return;
  if (strncmp(p, "rw-s ", 5) != 0) return;
  p += 5;
  if (!ParseHex(&p, &offset)) return;
  const char* path = strchr(p, '/');
  size_t len = path ? strlen(path) : 0;
  if (len < 9 || strcmp(path + len - 8, ".profraw") != 0 || len > 3900) return;
  const char* base = strrchr(path, '/') + 1;
  char copy[4096];
  char* q = copy;
  memcpy(q, path, (size_t)(base - path));
  q += base - path;
  memcpy(q, "fork-", 5);
  q += 5;
  AppendUnsigned(&q, (unsigned long)getpid());
  *q++ = '-';
  strcpy(q, base);
  int from = open(path, O_RDONLY | O_CLOEXEC);
  int to = open(copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (from >= 0 && to >= 0 && CopyFile(from, to) == 0) {
    fchmod(to, 0666);  // a later process of another user may merge into the same directory
    mmap((void*)start, end - start, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, to,
         (off_t)offset);
  }
  if (from >= 0) close(from);
  if (to >= 0) close(to);
}

static void InForkedChild(void) {
  int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (maps < 0) return;
  char buf[8192];
  char line[4096];
  size_t used = 0;
  ssize_t n;
  while ((n = read(maps, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (used < sizeof line - 1) line[used++] = buf[i];
        continue;
      }
      line[used] = 0;
      used = 0;
      if (strstr(line, ".profraw")) RemapLine(line);
    }
  }
  close(maps);
}

__attribute__((constructor)) static void RegisterForkHandler(void) {
  pthread_atfork(NULL, NULL, InForkedChild);
}

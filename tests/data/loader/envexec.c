/* envexec VAR=VALUE... /PROGRAM: runs PROGRAM with those variables added (static: it runs
 * in any root without touching the loader under test). A failed exec is reported as
 * chroot reports it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] != '/'; i++) putenv(argv[i]);
  if (i >= argc) return 126;
  execv(argv[i], argv + i);
  fprintf(stderr, "envexec: failed to run command '%s': %s\n", argv[i], strerror(errno));
  return 127;
}

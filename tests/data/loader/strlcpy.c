/* Needs strlcpy@GLIBC_2.38 (linked against a stub libc.so.6 that defines that node). */
#include <stdio.h>
#include <stddef.h>
extern size_t strlcpy(char *, const char *, size_t);
int main(void) { char b[8]; strlcpy(b, "ok", sizeof b); puts(b); return 0; }

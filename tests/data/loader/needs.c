/* Calls one function from the library named at build time (NEEDED_FN). */
#include <stdio.h>
extern const char *NEEDED_FN(void);
int main(void) { puts(NEEDED_FN() ? "ok" : "ok"); return 0; }

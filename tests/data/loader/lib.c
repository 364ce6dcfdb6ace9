/* A tiny shared library: LIB_FN returns a string. */
const char *LIB_FN(void) { return "lib"; }

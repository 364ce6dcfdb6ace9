#ifdef V2
int put(unsigned char c) { return c; }
#else
int put(char c) { return c; }
#endif

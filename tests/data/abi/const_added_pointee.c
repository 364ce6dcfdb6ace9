#ifdef V2
int count(const char *s) { return s[0]; }
#else
int count(char *s) { return s[0]; }
#endif

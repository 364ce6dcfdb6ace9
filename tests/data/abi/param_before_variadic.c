#ifdef V2
int logf_(int level, const char *fmt, ...) { return level + fmt[0]; }
#else
int logf_(const char *fmt, ...) { return fmt[0]; }
#endif

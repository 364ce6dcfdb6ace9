#ifdef V2
typedef int (*callback)(double);
#else
typedef int (*callback)(int);
#endif
int on_event(callback cb) { return cb ? 1 : 0; }

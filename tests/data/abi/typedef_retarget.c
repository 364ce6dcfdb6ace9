#ifdef V2
typedef long handle_t;
#else
typedef int handle_t;
#endif
int close_handle(handle_t h) { return (int)h; }

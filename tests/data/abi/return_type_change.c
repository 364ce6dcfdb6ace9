#ifdef V2
long size_of(int a) { return a; }
#else
int size_of(int a) { return a; }
#endif

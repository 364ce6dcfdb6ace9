#ifdef V2
long counter = 1;
#else
int counter = 1;
#endif
int keep(int a) { return a; }

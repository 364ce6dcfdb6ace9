int keep(int a) { return a; }
#ifdef V2
int fresh(int a) { return a; }
#endif

#ifdef V2
int add(int a) { return a; }
#else
int add(int a, int b) { return a + b; }
#endif

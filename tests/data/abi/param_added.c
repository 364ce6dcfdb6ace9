#ifdef V2
int add(int a, int b, int c) { return a + b + c; }
#else
int add(int a, int b) { return a + b; }
#endif

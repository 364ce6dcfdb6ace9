#ifdef V2
static long helper(long a) { return a * 2; }
#else
static int helper(int a) { return a; }
#endif
int api(int a) { return (int)helper(a); }

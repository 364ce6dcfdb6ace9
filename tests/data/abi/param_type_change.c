#ifdef V2
double scale(double a) { return a; }
#else
double scale(int a) { return a; }
#endif

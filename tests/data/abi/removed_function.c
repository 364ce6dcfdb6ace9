int keep(int a) { return a; }
#ifndef V2
int gone(int a) { return a; }
#endif

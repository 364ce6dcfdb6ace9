int keep(int a) { return a; }
#ifndef V2
int counter = 1;
#endif

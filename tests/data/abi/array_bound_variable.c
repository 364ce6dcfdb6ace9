#ifdef V2
int table[8];
#else
int table[4];
#endif
int lookup(int i) { return table[i & 3]; }

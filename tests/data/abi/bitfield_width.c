struct flags {
#ifdef V2
  unsigned a : 5;
#else
  unsigned a : 3;
#endif
  unsigned b : 4; };
int test(struct flags *f) { return f->a; }

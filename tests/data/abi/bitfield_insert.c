struct flags { unsigned a : 3;
#ifdef V2
  unsigned n : 2;
#endif
  unsigned b : 4; };
int test(struct flags *f) { return f->b; }

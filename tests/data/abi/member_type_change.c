struct s { int a;
#ifdef V2
  long b;
#else
  int b;
#endif
};
int use(struct s *p) { return p->a; }

struct s { int a;
#ifdef V2
  int renamed;
#else
  int b;
#endif
};
int use(struct s *p) { return p->a; }

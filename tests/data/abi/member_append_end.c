struct s { int a; int b;
#ifdef V2
  long c;
#endif
};
int use(struct s *p) { return p->a; }
int other(int x) { return x; }

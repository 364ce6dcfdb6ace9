struct s { int a;
#ifndef V2
  int b;
#endif
  int c; };
int use(struct s *p) { return p->a; }

struct s {
#ifdef V2
  int b; int a;
#else
  int a; int b;
#endif
};
int use(struct s *p) { return p->a; }

struct s { int a; int b; };
int use(struct s *p) { return p->a; }
int count = 3;

struct stable { int a; int b; };
struct moving { int a;
#ifdef V2
  int z;
#endif
  int b; };
int use_stable(struct stable *s) { return s->a; }
int use_moving(struct moving *m) { return m->a; }

struct inner { int a;
#ifdef V2
  int b;
#endif
};
struct outer { struct inner in; int tail; };
int walk(struct outer *o) { return o->tail; }

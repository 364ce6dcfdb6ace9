struct inner { int a;
#ifdef V2
  int extra;
#endif
  int b; };
struct outer { struct inner *in; int k; };
int deep(struct outer **o) { return (*o)->k; }
int plain(int x) { return x; }

struct settings { int a;
#ifdef V2
  int b;
#endif
};
struct settings defaults = { 1 };
int keep(int a) { return a; }

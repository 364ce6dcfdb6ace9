struct pair { int a;
#ifdef V2
  long b;
#else
  int b;
#endif
};
struct pair make_pair(int a) { struct pair p = { a, 0 }; return p; }

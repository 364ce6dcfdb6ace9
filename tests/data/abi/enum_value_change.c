enum color { RED,
#ifdef V2
  GREEN = 5,
#else
  GREEN,
#endif
  BLUE };
int paint(enum color c) { return (int)c; }

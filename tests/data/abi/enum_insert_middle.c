enum color { RED,
#ifdef V2
  ORANGE,
#endif
  GREEN, BLUE };
int paint(enum color c) { return (int)c; }

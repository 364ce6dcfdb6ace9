enum color { RED, GREEN,
#ifndef V2
  BLUE,
#endif
};
int paint(enum color c) { return (int)c; }

enum color { RED, GREEN, BLUE,
#ifdef V2
  ALPHA,
#endif
};
int paint(enum color c) { return (int)c; }

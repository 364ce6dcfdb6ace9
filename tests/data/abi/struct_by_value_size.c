struct point { int x; int y;
#ifdef V2
  int z;
#endif
};
int norm(struct point p) { return p.x + p.y; }

union value { int i; float f;
#ifdef V2
  double d;
#endif
};
int get(union value *v) { return v->i; }

union value { int i;
#ifdef V2
  long f;
#else
  float f;
#endif
};
int get(union value *v) { return v->i; }

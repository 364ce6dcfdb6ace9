struct Opts { int level;
#ifdef V2
  bool verbose; int threads;
#else
  int threads;
#endif
};
int configure(const Opts &o) { return o.level; }

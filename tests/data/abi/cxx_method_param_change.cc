class Counter {
public:
#ifdef V2
  int add(long n);
#else
  int add(int n);
#endif
  int value;
};
#ifdef V2
int Counter::add(long n) { return value + (int)n; }
#else
int Counter::add(int n) { return value + n; }
#endif

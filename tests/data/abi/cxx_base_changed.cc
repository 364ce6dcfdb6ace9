struct Base { int a;
#ifdef V2
  int b;
#endif
};
struct Derived : Base { int d; };
int read_derived(Derived *d) { return d->d; }

class Counter {
public:
  int get() const;
private:
#ifdef V2
  long pad;
#endif
  int value;
};
int Counter::get() const { return value; }

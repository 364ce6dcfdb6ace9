struct msg { int kind;
  struct {
#ifdef V2
    long x;
#else
    int x;
#endif
    int y; } pos;
};
int send_msg(struct msg *m) { return m->kind; }

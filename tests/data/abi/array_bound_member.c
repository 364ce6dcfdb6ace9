struct buf {
#ifdef V2
  char data[32];
#else
  char data[16];
#endif
  int len; };
int fill(struct buf *b) { return b->len; }

namespace net { struct Packet { int len;
#ifdef V2
  int flags;
#endif
  char data[8]; }; }
int send(net::Packet *p) { return p->len; }

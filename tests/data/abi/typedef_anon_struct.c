typedef struct {
  int id;
#ifdef V2
  short tag;
  int name;
#else
  int name;
#endif
} record_t;
int store(record_t *r) { return r->id; }

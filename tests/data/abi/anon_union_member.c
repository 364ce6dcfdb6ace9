struct msg { int kind;
  union { int i;
#ifdef V2
    double d;
#else
    float f;
#endif
  };
};
int send_msg(struct msg *m) { return m->kind; }

struct dev {
#ifdef V2
  volatile int status;
#else
  int status;
#endif
  int ctrl; };
int poll_dev(struct dev *d) { return d->ctrl; }

#include <stdint.h>
/* The design notes' case: config.h v1.3 inserts reserved[16]; timestamp moves 8 -> 24. */
struct config_v2 {
  int flags;
#ifdef V2
  char reserved[16];
#endif
  uint64_t timestamp;
};
int config_apply(struct config_v2 *c) { return c->flags; }
uint64_t config_stamp(const struct config_v2 *c) { return c->timestamp; }
int config_version(void) { return 2; }

/* libdemo v2: removes demo_old, adds demo_new, grows demo_table, changes demo_scale's
 * parameter type, moves demo_version to version node VERS_2. Licence: Apache-2.0. */
extern __SIZE_TYPE__ strlen(const char *s);
extern void *memcpy(void *dst, const void *src, __SIZE_TYPE__ n);

int demo_table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
const char demo_name[] = "libdemo";

int demo_add(int a, int b) { return a + b; }

int demo_scale(double x) { return (int)(x * demo_table[0]); }

const char *demo_version(void) { return "2"; }

int demo_new(int x) { return -x; }

unsigned long demo_copy(char *dst, const char *src) {
    unsigned long n = strlen(src);
    memcpy(dst, src, n + 1);
    return n;
}

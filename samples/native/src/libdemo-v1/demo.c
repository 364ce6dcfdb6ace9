/* libdemo v1: the baseline ABI. Licence: Apache-2.0 (assay fixtures). */
extern __SIZE_TYPE__ strlen(const char *s);
extern void *memcpy(void *dst, const void *src, __SIZE_TYPE__ n);

int demo_table[4] = {1, 2, 3, 4};
const char demo_name[] = "libdemo";

int demo_add(int a, int b) { return a + b; }

/* Removed in v2. */
int demo_old(void) { return 42; }

/* v2 changes the parameter type to double. */
int demo_scale(int x) { return x * demo_table[0]; }

/* Version node VERS_1 here, VERS_2 in v2. */
const char *demo_version(void) { return "1"; }

unsigned long demo_copy(char *dst, const char *src) {
    unsigned long n = strlen(src);
    memcpy(dst, src, n + 1);
    return n;
}

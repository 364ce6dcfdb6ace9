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

/* Same in both versions: coverage for binding, TLS, IFUNC and a hidden version node. */
__attribute__((weak)) int demo_weak(void) { return 1; }
#ifdef __ELF__
__thread int demo_tls = 7;
static int demo_fast_impl(int x) { return x + 1; }
static int (*demo_fast_resolve(void))(int) { return demo_fast_impl; }
int demo_fast(int x) __attribute__((ifunc("demo_fast_resolve")));
/* Only the hidden demo_compat@VERS_1 is exported (old binaries keep resolving it). */
int demo_compat_v1(void) { return 1; }
__asm__(".symver demo_compat_v1, demo_compat@VERS_1");
#endif

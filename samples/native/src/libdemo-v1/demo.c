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

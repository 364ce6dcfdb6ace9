/* A tiny C program: a non-Go ELF that assay lists without Go build info. */
#include <stdio.h>

int main(void) {
	puts("hello from C");
	return 0;
}

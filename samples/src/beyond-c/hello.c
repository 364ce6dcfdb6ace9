/* A tiny C program built with DWARF (-g): the C producer fixture. */
#include <stdio.h>

int main(void) {
	puts("hello from C with DWARF");
	return 0;
}

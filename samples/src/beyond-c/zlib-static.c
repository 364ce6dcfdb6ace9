/* Statically linked against zlib: the embedded-version-string classifier fixture. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(void) {
	const char *text = "hello hello hello hello";
	unsigned char packed[128];
	uLongf packed_len = sizeof packed;
	if (compress(packed, &packed_len, (const Bytef *)text, strlen(text)) != Z_OK)
		return 1;
	printf("zlib %s: %lu -> %lu bytes\n", zlibVersion(), (unsigned long)strlen(text),
	       (unsigned long)packed_len);
	return 0;
}

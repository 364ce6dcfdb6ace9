// Command noplugin-loader is a cgo host that does not link package plugin: the only way it
// can load a Go plugin is a raw dlopen. It prints "OK" when dlopen returns and the process
// survives the plugin's initialisers, the dlerror text otherwise.
package main

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
static const char* load(const char* path) {
	if (dlopen(path, RTLD_NOW|RTLD_GLOBAL) == NULL) return dlerror();
	return NULL;
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	for _, path := range os.Args[1:] {
		cpath := C.CString(path)
		msg := C.load(cpath)
		C.free(unsafe.Pointer(cpath))
		if msg != nil {
			fmt.Println(C.GoString(msg))
		} else {
			fmt.Println("OK")
		}
	}
}

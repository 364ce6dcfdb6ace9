/* helper.dll: imported by app.exe through the delay-load table. Licence: Apache-2.0. */
__declspec(dllexport) int helper_twice(int x) { return 2 * x; }

/* app.exe: imports demo.dll normally and helper.dll delay-loaded. Licence: Apache-2.0. */
__declspec(dllimport) int demo_add(int a, int b);
__declspec(dllimport) extern int demo_table[];
int helper_twice(int x);
int main(void) { return demo_add(helper_twice(1), demo_table[0]); }

/* Built with a version script naming VERS_1 (v1) or VERS_2 (v2). */
int versioned(int a) { return a; }
int plain(int a) { return a + 1; }

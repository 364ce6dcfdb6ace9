/* Exported by ordinal only (NONAME in demo.def). Licence: Apache-2.0. */
int demo_hidden_ordinal(void) { return 9; }

struct node { struct node *next;
#ifdef V2
  long key;
#else
  int key;
#endif
};
int list_len(struct node *n) { int k = 0; while (n) { k++; n = n->next; } return k; }
